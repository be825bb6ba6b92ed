package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// EnterVerificationCode checks the code of a pending bank or Russian Post
// verification.
type EnterVerificationCode struct {
	AccountID uuid.UUID
	Code      string
}

// EnterVerificationCodeHandler handles EnterVerificationCode.
type EnterVerificationCodeHandler struct{ d Deps }

// NewEnterVerificationCodeHandler builds the handler; it panics on nil dependencies.
func NewEnterVerificationCodeHandler(d Deps) *EnterVerificationCodeHandler {
	d.checkIdentity("NewEnterVerificationCodeHandler")
	return &EnterVerificationCodeHandler{d: d}
}

// Handle records IdentityVerified for the right code; a wrong one is saved
// as a failed attempt (the last one also rejects the verification) and
// answered code_invalid with attempts_left.
func (h *EnterVerificationCodeHandler) Handle(ctx context.Context, cmd EnterVerificationCode) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "EnterVerificationCode"
	now := h.d.Clock()
	var acc *domain.ForeignerAccount
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		acc = a
		return a.EnterVerificationCode(cmd.Code, now, h.d.Hasher)
	})
	return verificationResult(res, acc), err
}
