package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ApproveIdentity is an operator's verification of the pending request, at
// a service centre or on a video call.
type ApproveIdentity struct {
	AccountID uuid.UUID
	Method    domain.VerificationMethod
	Comment   string
}

// ApproveIdentityHandler handles ApproveIdentity.
type ApproveIdentityHandler struct{ d Deps }

// NewApproveIdentityHandler builds the handler; it panics on nil dependencies.
func NewApproveIdentityHandler(d Deps) *ApproveIdentityHandler {
	d.checkIdentity("NewApproveIdentityHandler")
	return &ApproveIdentityHandler{d: d}
}

// Handle records IdentityVerified by the operator named in the command's
// metadata (the token's subject).
func (h *ApproveIdentityHandler) Handle(ctx context.Context, cmd ApproveIdentity) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "ApproveIdentity"
	now := h.d.Clock()
	var acc *domain.ForeignerAccount
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		acc = a
		return a.ApproveIdentity(cmd.Method, md.ActorID, cmd.Comment, now)
	})
	return verificationResult(res, acc), err
}
