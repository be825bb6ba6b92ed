package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

// LinkInn links a person's INN, as typed, to the account.
type LinkInn struct {
	AccountID uuid.UUID
	Inn       string
}

// LinkInnHandler handles LinkInn.
type LinkInnHandler struct{ d Deps }

// NewLinkInnHandler builds the handler; it panics on nil dependencies.
func NewLinkInnHandler(d Deps) *LinkInnHandler {
	d.checkIdentity("NewLinkInnHandler")
	return &LinkInnHandler{d: d}
}

// Handle parses the number (inn_invalid, inn_checksum, inn_not_personal
// for a company's 10 digits: nothing is recorded), asks the tax service,
// and lets the domain record InnLinked or InnRejected (saved, answered
// registry_mismatch); a link claims the number as LinkSnils does.
func (h *LinkInnHandler) Handle(ctx context.Context, cmd LinkInn) (Result, error) {
	inn, err := domain.ParseInn(cmd.Inn)
	if err != nil {
		return Result{AccountID: cmd.AccountID}, err
	}
	md := MetadataFrom(ctx)
	md.Command = "LinkInn"
	now := h.d.Clock()
	return h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		v := registry.Verdict{Match: true}
		if pd, ok := a.PersonalData(); ok && a.Inn().IsZero() {
			var err error
			if v, err = h.d.Identity.Registries.Tax.CheckInn(ctx, a.ID(), inn, registry.PersonFrom(pd)); err != nil {
				return abort(err)
			}
		}
		if err := a.LinkInn(inn, v.Match, now); err != nil {
			return err
		}
		return claimIdentifier(ctx, h.d, a, registry.INN, inn.String(), now, md)
	})
}
