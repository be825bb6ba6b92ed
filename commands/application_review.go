package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// The operator's decisions on an application (DOMAIN.md §6). Each names
// the application by id; the handler finds its account through the index.
// Who may send them (operators only) is the transport's to enforce.

// AcceptApplication accepts a submitted application for processing.
type AcceptApplication struct {
	ApplicationID uuid.UUID
}

// AcceptApplicationHandler handles AcceptApplication.
type AcceptApplicationHandler struct{ d Deps }

// NewAcceptApplicationHandler builds the handler; it panics on nil dependencies.
func NewAcceptApplicationHandler(d Deps) *AcceptApplicationHandler {
	d.checkApplications("NewAcceptApplicationHandler")
	return &AcceptApplicationHandler{d: d}
}

// Handle records ApplicationAccepted.
func (h *AcceptApplicationHandler) Handle(ctx context.Context, cmd AcceptApplication) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.ApplicationID, "AcceptApplication", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.AcceptApplication(cmd.ApplicationID, actor, now)
	})
}

// StartReview starts the review of an accepted application.
type StartReview struct {
	ApplicationID uuid.UUID
}

// StartReviewHandler handles StartReview.
type StartReviewHandler struct{ d Deps }

// NewStartReviewHandler builds the handler; it panics on nil dependencies.
func NewStartReviewHandler(d Deps) *StartReviewHandler {
	d.checkApplications("NewStartReviewHandler")
	return &StartReviewHandler{d: d}
}

// Handle records ApplicationReviewStarted.
func (h *StartReviewHandler) Handle(ctx context.Context, cmd StartReview) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.ApplicationID, "StartReview", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.StartReview(cmd.ApplicationID, actor, now)
	})
}

// ApproveApplication approves an application under review and issues its
// result document.
type ApproveApplication struct {
	ApplicationID uuid.UUID
	Comment       string
	Result        domain.ResultDocument
}

// ApproveApplicationHandler handles ApproveApplication.
type ApproveApplicationHandler struct{ d Deps }

// NewApproveApplicationHandler builds the handler; it panics on nil dependencies.
func NewApproveApplicationHandler(d Deps) *ApproveApplicationHandler {
	d.checkApplications("NewApproveApplicationHandler")
	return &ApproveApplicationHandler{d: d}
}

// Handle records ApplicationApproved. A result document without a number
// is numbered after the application (the number the citizen already
// knows); its type defaults to the service's result, its date to today.
func (h *ApproveApplicationHandler) Handle(ctx context.Context, cmd ApproveApplication) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.ApplicationID, "ApproveApplication", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		result := cmd.Result
		if app, ok := a.Application(cmd.ApplicationID); ok && result.Number == "" {
			result.Number = app.Number
		}
		return a.ApproveApplication(cmd.ApplicationID, result, cmd.Comment, actor, now)
	})
}

// RejectApplication refuses an application with reason codes, a comment
// and the missing or wrong documents.
type RejectApplication struct {
	ApplicationID    uuid.UUID
	Reasons          []string
	Comment          string
	MissingDocuments []string
}

// RejectApplicationHandler handles RejectApplication.
type RejectApplicationHandler struct{ d Deps }

// NewRejectApplicationHandler builds the handler; it panics on nil dependencies.
func NewRejectApplicationHandler(d Deps) *RejectApplicationHandler {
	d.checkApplications("NewRejectApplicationHandler")
	return &RejectApplicationHandler{d: d}
}

// Handle records ApplicationRejected.
func (h *RejectApplicationHandler) Handle(ctx context.Context, cmd RejectApplication) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.ApplicationID, "RejectApplication", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.RejectApplication(cmd.ApplicationID, cmd.Reasons, cmd.Comment, cmd.MissingDocuments, actor, now)
	})
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

// RequestClarificationHandler handles RequestClarification.
type RequestClarificationHandler struct{ d Deps }

// NewRequestClarificationHandler builds the handler; it panics on nil dependencies.
func NewRequestClarificationHandler(d Deps) *RequestClarificationHandler {
	d.checkApplications("NewRequestClarificationHandler")
	return &RequestClarificationHandler{d: d}
}

// Handle records ClarificationRequested; the clarification-timeout job
// learns its due date from the log.
func (h *RequestClarificationHandler) Handle(ctx context.Context, cmd RequestClarification) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.ApplicationID, "RequestClarification", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		day := today(now)
		due := cmd.Due
		if due.IsZero() {
			due = h.d.Applications.Calendar.AddWorkingDays(day, DefaultClarificationDays)
		}
		return a.RequestClarification(cmd.ApplicationID, cmd.Comment, due, actor, now, day)
	})
}
