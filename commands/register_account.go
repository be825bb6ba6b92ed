package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// RegisterAccount opens a new ForeignerAccount.
type RegisterAccount struct {
	Registration domain.Registration
}

// RegisterAccountHandler handles RegisterAccount.
type RegisterAccountHandler struct{ d Deps }

// NewRegisterAccountHandler builds the handler; it panics on nil dependencies.
func NewRegisterAccountHandler(d Deps) *RegisterAccountHandler {
	d.check("NewRegisterAccountHandler")
	return &RegisterAccountHandler{d: d}
}

// Handle validates the registration, refuses a contact already confirmed on
// another account (contact_taken) and writes AccountRegistered.
func (h *RegisterAccountHandler) Handle(ctx context.Context, cmd RegisterAccount) (Result, error) {
	a, err := domain.Register(h.d.NewID(), cmd.Registration, h.d.Clock())
	if err != nil {
		return Result{}, err
	}
	for _, c := range a.State().Contacts {
		owner, err := h.d.Claims.Owner(ctx, domain.ContactKey(c.Channel, c.Value))
		if err != nil {
			return Result{}, err
		}
		if owner != uuid.Nil {
			return Result{}, domain.ErrContactTaken(c.Channel)
		}
	}
	md := MetadataFrom(ctx)
	md.Command = "RegisterAccount"
	if md.ActorID == "" {
		md.ActorID = a.ID().String()
		md.ActorRole = "citizen"
	}
	return h.d.Repo.Create(ctx, a, md)
}
