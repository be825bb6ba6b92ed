package commands

import (
	"context"

	"github.com/google/uuid"

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
// edit of identity fields after verification also resets the verification.
func (h *ProvidePersonalDataHandler) Handle(ctx context.Context, cmd ProvidePersonalData) (Result, error) {
	md := MetadataFrom(ctx)
	md.Command = "ProvidePersonalData"
	now := h.d.Clock()
	return h.d.Repo.Update(ctx, cmd.AccountID, md, func(a *domain.ForeignerAccount) error {
		return a.ProvidePersonalData(cmd.Input, domain.MoscowDate(now), now)
	})
}
