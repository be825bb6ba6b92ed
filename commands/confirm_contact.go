package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// ConfirmContact checks a one-time code for one of the account's contacts:
// Value names it; empty, the channel's default contact.
type ConfirmContact struct {
	AccountID uuid.UUID
	Channel   domain.Channel
	Value     string
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
// saved — then records ContactConfirmed. A contact that replaced another
// removes it, and the removed one's claim is released once saved.
func (h *ConfirmContactHandler) Handle(ctx context.Context, cmd ConfirmContact) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "ConfirmContact"
	now := h.d.Clock()
	ref := domain.ContactRef{Channel: cmd.Channel, Value: cmd.Value}
	var removed []domain.ContactRemoved
	res, err := h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		value, _ := a.ContactValue(ref)
		key := domain.ContactKey(cmd.Channel, value)
		owner, err := h.d.Claims.Owner(ctx, key)
		if err != nil {
			return abort(err)
		}
		if owner != uuid.Nil && owner != a.ID() {
			return domain.ErrContactTaken(cmd.Channel)
		}
		if err := a.ConfirmContactFor(ref, cmd.Code, now, h.d.Hasher); err != nil {
			return err
		}
		if err := h.d.Claims.Claim(ctx, cmd.Channel, key, a.ID(), now, md); err != nil {
			return abort(err)
		}
		removed = removedContacts(a)
		return nil
	})
	if err != nil {
		return res, err
	}
	return res, releaseRemoved(ctx, h.d.Claims, cmd.AccountID, removed, md, h.d)
}
