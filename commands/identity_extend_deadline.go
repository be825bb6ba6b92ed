package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ExtendVerificationDeadline extends a pending verification's deadline to
// ten working days from the request; once.
type ExtendVerificationDeadline struct {
	AccountID uuid.UUID
}

// ExtendVerificationDeadlineHandler handles ExtendVerificationDeadline.
type ExtendVerificationDeadlineHandler struct{ d Deps }

// NewExtendVerificationDeadlineHandler builds the handler; it panics on nil dependencies.
func NewExtendVerificationDeadlineHandler(d Deps) *ExtendVerificationDeadlineHandler {
	d.checkIdentity("NewExtendVerificationDeadlineHandler")
	return &ExtendVerificationDeadlineHandler{d: d}
}

// Handle records VerificationDeadlineExtended; a second extension is
// refused with extension_used. The citizen learns of it from the
// notifications the read side derives from the event.
func (h *ExtendVerificationDeadlineHandler) Handle(ctx context.Context, cmd ExtendVerificationDeadline) (VerificationResult, error) {
	md := MetadataFrom(ctx)
	md.Command = "ExtendVerificationDeadline"
	now := h.d.Clock()
	var acc *domain.ForeignerAccount
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		acc = a
		return a.ExtendVerificationDeadline(now, h.d.Identity.Calendar)
	})
	return verificationResult(res, acc), err
}
