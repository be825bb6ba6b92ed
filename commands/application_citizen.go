package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// The citizen's actions on an application of their own (DOMAIN.md §6). The
// transport checks that the application's account is the caller's.

// ProvideClarification answers an operator's clarification request with a
// comment, further documents on the account, or both.
type ProvideClarification struct {
	ApplicationID uuid.UUID
	Comment       string
	DocumentIDs   []uuid.UUID
}

// ProvideClarificationHandler handles ProvideClarification.
type ProvideClarificationHandler struct{ d Deps }

// NewProvideClarificationHandler builds the handler; it panics on nil dependencies.
func NewProvideClarificationHandler(d Deps) *ProvideClarificationHandler {
	d.checkApplications("NewProvideClarificationHandler")
	return &ProvideClarificationHandler{d: d}
}

// Handle records ClarificationProvided; the application is back in review.
func (h *ProvideClarificationHandler) Handle(ctx context.Context, cmd ProvideClarification) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.ApplicationID, "ProvideClarification", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.ProvideClarification(cmd.ApplicationID, cmd.Comment, cmd.DocumentIDs, actor, now, today(now), h.d.Applications.Calendar)
	})
}

// ResubmitApplication sends a rejected application back to review with
// corrections; a nil Form or DocumentIDs keeps the old one.
type ResubmitApplication struct {
	ApplicationID uuid.UUID
	Form          map[string]any
	DocumentIDs   []uuid.UUID
}

// ResubmitApplicationHandler handles ResubmitApplication.
type ResubmitApplicationHandler struct{ d Deps }

// NewResubmitApplicationHandler builds the handler; it panics on nil dependencies.
func NewResubmitApplicationHandler(d Deps) *ResubmitApplicationHandler {
	d.checkApplications("NewResubmitApplicationHandler")
	return &ResubmitApplicationHandler{d: d}
}

// Handle records ApplicationResubmitted after the domain checked the
// corrected application as at submission; the deadline starts anew.
func (h *ResubmitApplicationHandler) Handle(ctx context.Context, cmd ResubmitApplication) (ApplicationResult, error) {
	cal := h.d.Applications.Calendar
	return h.d.onApplication(ctx, cmd.ApplicationID, "ResubmitApplication", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.ResubmitApplication(cmd.ApplicationID, cmd.Form, cmd.DocumentIDs, actor, now, today(now), cal)
	})
}

// WithdrawApplication withdraws an application not yet decided.
type WithdrawApplication struct {
	ApplicationID uuid.UUID
}

// WithdrawApplicationHandler handles WithdrawApplication.
type WithdrawApplicationHandler struct{ d Deps }

// NewWithdrawApplicationHandler builds the handler; it panics on nil dependencies.
func NewWithdrawApplicationHandler(d Deps) *WithdrawApplicationHandler {
	d.checkApplications("NewWithdrawApplicationHandler")
	return &WithdrawApplicationHandler{d: d}
}

// Handle records ApplicationWithdrawn.
func (h *WithdrawApplicationHandler) Handle(ctx context.Context, cmd WithdrawApplication) (ApplicationResult, error) {
	return h.d.onApplication(ctx, cmd.ApplicationID, "WithdrawApplication", func(a *domain.ForeignerAccount, actor domain.Actor, now time.Time) error {
		return a.WithdrawApplication(cmd.ApplicationID, actor, now)
	})
}
