package commands

import (
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// The citizen's actions on an application of their own (docs/DOMAIN.md §6). The
// transport checks that the application's account is the caller's.

// ProvideClarification answers an operator's clarification request with a
// comment, further documents on the account, or both.
type ProvideClarification struct {
	ApplicationID uuid.UUID
	Comment       string
	DocumentIDs   []uuid.UUID
}

// provideClarification records ClarificationProvided; the application is back in review.
func provideClarification(d Deps, cmd ProvideClarification, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	return a.ProvideClarification(cmd.ApplicationID, cmd.Comment, cmd.DocumentIDs, actor, now, today(now), d.Applications.Calendar)
}

// ResubmitApplication sends a rejected application back to review with
// corrections; a nil Form or DocumentIDs keeps the old one.
type ResubmitApplication struct {
	ApplicationID uuid.UUID
	Form          map[string]any
	DocumentIDs   []uuid.UUID
}

// resubmitApplication records ApplicationResubmitted after the domain checked the
// corrected application as at submission; the deadline starts anew.
func resubmitApplication(d Deps, cmd ResubmitApplication, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	cal := d.Applications.Calendar
	return a.ResubmitApplication(cmd.ApplicationID, cmd.Form, cmd.DocumentIDs, actor, now, today(now), cal)
}

// WithdrawApplication withdraws an application not yet decided.
type WithdrawApplication struct {
	ApplicationID uuid.UUID
}

// withdrawApplication records ApplicationWithdrawn.
func withdrawApplication(d Deps, cmd WithdrawApplication, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	return a.WithdrawApplication(cmd.ApplicationID, actor, now)
}

func (c ProvideClarification) applicationID() uuid.UUID { return c.ApplicationID }

func (c ResubmitApplication) applicationID() uuid.UUID { return c.ApplicationID }

func (c WithdrawApplication) applicationID() uuid.UUID { return c.ApplicationID }
