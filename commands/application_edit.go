package commands

import (
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// EditApplication changes an application of the citizen's own before an
// operator accepts it (docs/DOMAIN.md §6); a nil Form or DocumentIDs keeps the old
// one.
type EditApplication struct {
	ApplicationID uuid.UUID
	Form          map[string]any
	DocumentIDs   []uuid.UUID
}

// editApplication records ApplicationEdited after the domain checked the changed
// application as at submission; once accepted it is invalid_transition.
func editApplication(d Deps, cmd EditApplication, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	cal := d.Applications.Calendar
	return a.EditApplication(cmd.ApplicationID, cmd.Form, cmd.DocumentIDs, actor, now, today(now), cal)
}

func (c EditApplication) applicationID() uuid.UUID { return c.ApplicationID }
