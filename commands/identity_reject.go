package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// RejectIdentity is an operator's rejection of the pending request with
// reason codes and a comment the citizen sees.
type RejectIdentity struct {
	AccountID uuid.UUID
	Reasons   []string
	Comment   string
}

// RejectIdentityHandler handles RejectIdentity.
type RejectIdentityHandler struct{ d Deps }

// NewRejectIdentityHandler builds the handler; it panics on nil dependencies.
func NewRejectIdentityHandler(d Deps) *RejectIdentityHandler {
	d.checkIdentity("NewRejectIdentityHandler")
	return &RejectIdentityHandler{d: d}
}

// Handle records IdentityVerificationRejected by the operator named in the
// command's metadata; the citizen fixes the data and requests again.
func (h *RejectIdentityHandler) Handle(ctx context.Context, cmd RejectIdentity) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "RejectIdentity"
	now := h.d.Clock()
	var acc *domain.ForeignerAccount
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		acc = a
		return a.RejectIdentity(cmd.Reasons, cmd.Comment, md.ActorID, now)
	})
	return verificationResult(res, acc), err
}
