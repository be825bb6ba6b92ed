package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// EditApplication changes an application of the citizen's own before an
// operator accepts it (seed 001); a nil Form or DocumentIDs keeps the old
// one.
type EditApplication struct {
	ApplicationID uuid.UUID
	Form          map[string]any
	DocumentIDs   []uuid.UUID
}

// EditApplicationHandler handles EditApplication.
type EditApplicationHandler struct{ d Deps }

// NewEditApplicationHandler builds the handler; it panics on nil dependencies.
func NewEditApplicationHandler(d Deps) *EditApplicationHandler {
	d.checkApplications("NewEditApplicationHandler")
	return &EditApplicationHandler{d: d}
}

// Handle records ApplicationEdited after the domain checked the changed
// application as at submission; once accepted it is invalid_transition.
func (h *EditApplicationHandler) Handle(ctx context.Context, cmd EditApplication) (ApplicationResult, error) {
	cal := h.d.Applications.Calendar
	return h.d.onApplication(ctx, cmd.ApplicationID, "EditApplication", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.EditApplication(cmd.ApplicationID, cmd.Form, cmd.DocumentIDs, actor, now, today(now), cal)
	})
}
