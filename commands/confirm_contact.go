package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ConfirmContact checks a one-time code for one of the account's contacts.
type ConfirmContact struct {
	AccountID uuid.UUID
	Channel   domain.Channel
	Code      string
}

// ConfirmContactHandler handles ConfirmContact.
type ConfirmContactHandler struct{ d Deps }

// NewConfirmContactHandler builds the handler; it panics on nil dependencies.
func NewConfirmContactHandler(d Deps) *ConfirmContactHandler {
	d.check("NewConfirmContactHandler")
	return &ConfirmContactHandler{d: d}
}

// Handle lets the domain judge the code. A wrong code is saved as a failed
// attempt (and may lock). A right one first claims the contact across
// accounts — a contact confirmed elsewhere is contact_taken and nothing is
// saved — then records ContactConfirmed.
func (h *ConfirmContactHandler) Handle(ctx context.Context, cmd ConfirmContact) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "ConfirmContact"
	now := h.d.Clock()
	return h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		key := domain.ContactKey(cmd.Channel, contactValue(a, cmd.Channel))
		owner, err := h.d.Claims.Owner(ctx, key)
		if err != nil {
			return abort(err)
		}
		if owner != uuid.Nil && owner != a.ID() {
			return domain.ErrContactTaken(cmd.Channel)
		}
		if err := a.ConfirmContact(cmd.Channel, cmd.Code, now, h.d.Hasher); err != nil {
			return err
		}
		if err := h.d.Claims.Claim(ctx, cmd.Channel, key, a.ID(), now, md); err != nil {
			return abort(err)
		}
		return nil
	})
}
