package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// RequestContactCode sends a one-time code to one of the account's
// contacts: Value names it; empty, the channel's default contact (the
// newest unconfirmed one).
type RequestContactCode struct {
	AccountID uuid.UUID
	Channel   domain.Channel
	Value     string
}

// RequestContactCodeHandler handles RequestContactCode.
type RequestContactCodeHandler struct{ d Deps }

// NewRequestContactCodeHandler builds the handler; it panics on nil dependencies.
func NewRequestContactCodeHandler(d Deps) *RequestContactCodeHandler {
	d.check("NewRequestContactCodeHandler")
	return &RequestContactCodeHandler{d: d}
}

// Handle records ContactConfirmationRequested (only the code's hash) and,
// once it is durable, sends the code at once whatever the preferences. A
// destination that had CodesPerDestination codes within CodeWindow is
// refused (too_many_codes) and nothing is recorded.
func (h *RequestContactCodeHandler) Handle(ctx context.Context, cmd RequestContactCode) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "RequestContactCode"
	now := h.d.Clock()
	ref := domain.ContactRef{Channel: cmd.Channel, Value: cmd.Value}
	var code, to string
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		c, err := a.RequestContactCodeFor(ref, now, h.d.Random, h.d.Hasher)
		if err != nil {
			return err
		}
		code = c
		to, _ = a.ContactValue(ref)
		if h.d.CodeLimit != nil {
			if err := h.d.CodeLimit.Take(ctx, cmd.Channel, to); err != nil {
				return abort(err)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := h.d.Notifier.Notify(ctx, contactCodeNotification(cmd.AccountID, cmd.Channel, to, code, now)); err != nil {
		return res, fmt.Errorf("send contact code: %w", err)
	}
	return res, nil
}
