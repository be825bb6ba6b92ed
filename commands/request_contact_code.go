package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// RequestContactCode sends a one-time code to one of the account's contacts.
type RequestContactCode struct {
	AccountID uuid.UUID
	Channel   domain.Channel
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
	var code, to string
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		c, err := a.RequestContactCode(cmd.Channel, now, h.d.Random, h.d.Hasher)
		if err != nil {
			return err
		}
		code, to = c, contactValue(a, cmd.Channel)
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
	n := Notification{
		Channel: "email", To: to, AccountID: cmd.AccountID.String(), Code: code, Kind: "contact_code", At: now,
		Text: fmt.Sprintf("Код подтверждения адреса: %s. Действует 30 минут.", code),
	}
	if cmd.Channel == domain.ChannelPhone {
		n.Channel = "sms"
		n.Text = fmt.Sprintf("Код подтверждения: %s. Действует 15 минут. Никому не сообщайте код.", code)
	}
	if err := h.d.Notifier.Notify(ctx, n); err != nil {
		return res, fmt.Errorf("send contact code: %w", err)
	}
	return res, nil
}

func contactValue(a *domain.ForeignerAccount, ch domain.Channel) string {
	for _, c := range a.State().Contacts {
		if c.Channel == ch {
			return c.Value
		}
	}
	return ""
}
