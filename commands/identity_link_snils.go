package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

// LinkSnils links a SNILS, as typed, to the account.
type LinkSnils struct {
	AccountID uuid.UUID
	Snils     string
}

// LinkSnilsHandler handles LinkSnils.
type LinkSnilsHandler struct{ d Deps }

// NewLinkSnilsHandler builds the handler; it panics on nil dependencies.
func NewLinkSnilsHandler(d Deps) *LinkSnilsHandler {
	d.checkIdentity("NewLinkSnilsHandler")
	return &LinkSnilsHandler{d: d}
}

// Handle parses the number (snils_invalid, snils_checksum: nothing is
// recorded), asks the pension fund whether it belongs to the person's name
// and birth date, and lets the domain record SnilsLinked or SnilsRejected
// (saved, answered registry_mismatch). A link then claims the number for
// this account; if another account won it meanwhile, nothing is saved and
// the answer is registry_mismatch.
func (h *LinkSnilsHandler) Handle(ctx context.Context, cmd LinkSnils) (Result, error) {
	snils, err := domain.ParseSnils(cmd.Snils)
	if err != nil {
		return Result{AccountID: cmd.AccountID}, err
	}
	md := MetadataFrom(ctx)
	md.Command = "LinkSnils"
	now := h.d.Clock()
	return h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		v := registry.Verdict{}
		if pd, ok := a.PersonalData(); ok && a.Snils().IsZero() {
			var err error
			if v, err = h.d.Identity.Registries.Pension.CheckSnils(ctx, a.ID(), snils, registry.PersonFrom(pd)); err != nil {
				return abort(err)
			}
		} else {
			v.Match = true // the domain refuses or finds it already linked
		}
		if err := a.LinkSnils(snils, v.Match, v.Reason, now); err != nil {
			return err
		}
		return claimIdentifier(ctx, h.d, a, registry.SNILS, snils.Digits(), now, md)
	})
}

// claimIdentifier claims a number the decision just linked (or that was
// already linked to a), aborting the decision when another account holds it.
func claimIdentifier(ctx context.Context, d Deps, a *domain.ForeignerAccount, kind registry.Identifier, digits string, now time.Time, md Metadata) error {
	if err := d.Identity.Identifiers.Claim(ctx, kind, digits, a.ID(), now, md); err != nil {
		return abort(err)
	}
	return nil
}
