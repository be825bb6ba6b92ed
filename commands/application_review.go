package commands

import (
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// The operator's decisions on an application (docs/DOMAIN.md §6). Each names
// the application by id; the handler finds its account through the index.
// Who may send them (operators only) is the transport's to enforce.

// AcceptApplication accepts a submitted application for processing.
type AcceptApplication struct {
	ApplicationID uuid.UUID
}

// acceptApplication records ApplicationAccepted.
func acceptApplication(d Deps, cmd AcceptApplication, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	return a.AcceptApplication(cmd.ApplicationID, actor, now)
}

// StartReview starts the review of an accepted application.
type StartReview struct {
	ApplicationID uuid.UUID
}

// startReview records ApplicationReviewStarted.
func startReview(d Deps, cmd StartReview, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	return a.StartReview(cmd.ApplicationID, actor, now)
}

// ApproveApplication approves an application under review and issues its
// result document.
type ApproveApplication struct {
	ApplicationID uuid.UUID
	Comment       string
	Result        domain.ResultDocument
}

// approveApplication records ApplicationApproved. A result document without a number
// is numbered after the application (the number the citizen already
// knows); its type defaults to the service's result, its date to today.
func approveApplication(d Deps, cmd ApproveApplication, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	result := cmd.Result
	if app, ok := a.Application(cmd.ApplicationID); ok && result.Number == "" {
		result.Number = app.Number
	}
	return a.ApproveApplication(cmd.ApplicationID, result, cmd.Comment, actor, now)
}

// RejectApplication refuses an application with reason codes, a comment
// and the missing or wrong documents.
type RejectApplication struct {
	ApplicationID    uuid.UUID
	Reasons          []string
	Comment          string
	MissingDocuments []string
}

// rejectApplication records ApplicationRejected.
func rejectApplication(d Deps, cmd RejectApplication, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	return a.RejectApplication(cmd.ApplicationID, cmd.Reasons, cmd.Comment, cmd.MissingDocuments, actor, now)
}

// RequestClarification asks the citizen for more information by Due (a
// zero Due means DefaultClarificationDays working days from today).
type RequestClarification struct {
	ApplicationID uuid.UUID
	Comment       string
	Due           domain.Date
}

// DefaultClarificationDays is how many working days a citizen has to answer
// a clarification request when the operator names no date.
const DefaultClarificationDays = 10

// requestClarification records ClarificationRequested; the clarification-timeout job
// learns its due date from the log.
func requestClarification(d Deps, cmd RequestClarification, a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
	day := today(now)
	due := cmd.Due
	if due.IsZero() {
		due = d.Applications.Calendar.AddWorkingDays(day, DefaultClarificationDays)
	}
	return a.RequestClarification(cmd.ApplicationID, cmd.Comment, due, actor, now, day)
}

func (c AcceptApplication) applicationID() uuid.UUID { return c.ApplicationID }

func (c StartReview) applicationID() uuid.UUID { return c.ApplicationID }

func (c ApproveApplication) applicationID() uuid.UUID { return c.ApplicationID }

func (c RequestClarification) applicationID() uuid.UUID { return c.ApplicationID }

func (c RejectApplication) applicationID() uuid.UUID { return c.ApplicationID }
