package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/domain"
)

// ProvidePersonalData records the citizen's personal data (анкета).
type ProvidePersonalData struct {
	AccountID uuid.UUID
	Input     domain.PersonalDataInput
}

// ProvidePersonalDataHandler handles ProvidePersonalData.
type ProvidePersonalDataHandler struct{ d Deps }

// NewProvidePersonalDataHandler builds the handler; it panics on nil dependencies.
func NewProvidePersonalDataHandler(d Deps) *ProvidePersonalDataHandler {
	d.checkIdentity("NewProvidePersonalDataHandler")
	return &ProvidePersonalDataHandler{d: d}
}

// Handle lets the domain validate the form on the Moscow day of now (age,
// dates, transliteration against the documents on file) and record it; an
// edit of identity fields cancels a pending verification and resets a
// verified one. When the name or birth date a linked SNILS or INN was
// checked against changed, the registries are asked again in the same
// decision: a match re-links the number, a mismatch unlinks it.
func (h *ProvidePersonalDataHandler) Handle(ctx context.Context, cmd ProvidePersonalData) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "ProvidePersonalData"
	now := h.d.Clock()
	return h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		if err := a.ProvidePersonalData(cmd.Input, domain.MoscowDate(now), now); err != nil {
			return err
		}
		return h.recheck(ctx, a, now)
	})
}

// recheck asks the registries again about the identifiers whose basis changed.
func (h *ProvidePersonalDataHandler) recheck(ctx context.Context, a *domain.ForeignerAccount, now time.Time) error {
	snils, inn := a.IdentifiersToRecheck()
	if !snils && !inn {
		return nil
	}
	pd, _ := a.PersonalData()
	p := registry.PersonFrom(pd)
	regs := h.d.Identity.Registries
	if snils {
		v, err := regs.Pension.CheckSnils(ctx, a.ID(), a.Snils(), p)
		if err != nil {
			return abort(err)
		}
		a.RecheckSnils(v.Match, v.Reason, now)
	}
	if inn {
		v, err := regs.Tax.CheckInn(ctx, a.ID(), a.Inn(), p)
		if err != nil {
			return abort(err)
		}
		a.RecheckInn(v.Match, v.Reason, now)
	}
	return nil
}
