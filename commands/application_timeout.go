package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// TimeoutClarification rejects an application whose clarification went
// unanswered past its due date (the scheduler's command).
type TimeoutClarification struct {
	ApplicationID uuid.UUID
	// At is the scheduler's time of the decision (zero: the clock's now).
	At time.Time
}

// TimeoutClarificationHandler handles TimeoutClarification.
type TimeoutClarificationHandler struct{ d Deps }

// NewTimeoutClarificationHandler builds the handler; it panics on nil dependencies.
func NewTimeoutClarificationHandler(d Deps) *TimeoutClarificationHandler {
	d.checkApplications("NewTimeoutClarificationHandler")
	return &TimeoutClarificationHandler{d: d}
}

// SystemActor is who the scheduler's decisions are recorded as.
var SystemActor = domain.Actor{ID: "system", Role: "system"}

// Handle records ApplicationRejected with clarification_timeout, once the
// Moscow day is after the due date (clarification_not_due before).
func (h *TimeoutClarificationHandler) Handle(ctx context.Context, cmd TimeoutClarification) (ApplicationResult, error) {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = SystemActor.ID, SystemActor.Role
	md.CommandID = h.d.NewID().String()
	md.CausationID = md.CommandID
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	at := cmd.At
	return h.d.onApplication(WithMetadata(ctx, md), cmd.ApplicationID, "TimeoutClarification", func(a *domain.ForeignerAccount, _ domain.Actor, now time.Time) error {
		if !at.IsZero() {
			now = at.UTC()
		}
		return a.TimeoutClarification(cmd.ApplicationID, SystemActor, now, today(now))
	})
}

// TimeoutApplication is Handle for the scheduler's clarification-timeout
// job.
func (h *TimeoutClarificationHandler) TimeoutApplication(ctx context.Context, application uuid.UUID, now time.Time) error {
	_, err := h.Handle(ctx, TimeoutClarification{ApplicationID: application, At: now})
	return err
}
