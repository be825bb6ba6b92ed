package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ResendVerificationCode sends a new code for a pending bank or Russian
// Post verification.
type ResendVerificationCode struct {
	AccountID uuid.UUID
}

// ResendVerificationCodeHandler handles ResendVerificationCode.
type ResendVerificationCodeHandler struct{ d Deps }

// NewResendVerificationCodeHandler builds the handler; it panics on nil dependencies.
func NewResendVerificationCodeHandler(d Deps) *ResendVerificationCodeHandler {
	d.checkIdentity("NewResendVerificationCodeHandler")
	return &ResendVerificationCodeHandler{d: d}
}

// Handle records VerificationCodeIssued (voiding the old code) and sends
// the new code once it is durable; resend_too_soon within the method's
// interval, too_many_codes past the hourly limit of codes to the person.
func (h *ResendVerificationCodeHandler) Handle(ctx context.Context, cmd ResendVerificationCode) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "ResendVerificationCode"
	now := h.d.Clock()
	var code string
	var acc *domain.ForeignerAccount
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		acc = a
		c, err := a.ResendVerificationCode(now, h.d.Random, h.d.Hasher)
		if err != nil {
			return err
		}
		code = c
		return h.d.takeIdentityCode(ctx, a.State().Verification.Method, a.ID(), code)
	})
	out := verificationResult(res, acc)
	if err != nil {
		return out, err
	}
	return out, h.d.sendIdentityCode(ctx, acc, acc.State().Verification.Method, code, now)
}
