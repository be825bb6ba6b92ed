package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// TimeoutUnpaidFee rejects an application whose fee went unpaid for
// domain.UnpaidFeeTimeout (the scheduler's command).
type TimeoutUnpaidFee struct {
	ApplicationID uuid.UUID
	// At is the scheduler's time of the decision (zero: the clock's now).
	At time.Time
}

// TimeoutUnpaidFeeHandler handles TimeoutUnpaidFee.
type TimeoutUnpaidFeeHandler struct{ d Deps }

// NewTimeoutUnpaidFeeHandler builds the handler; it panics on nil dependencies.
func NewTimeoutUnpaidFeeHandler(d Deps) *TimeoutUnpaidFeeHandler {
	d.checkApplications("NewTimeoutUnpaidFeeHandler")
	return &TimeoutUnpaidFeeHandler{d: d}
}

// Handle records ApplicationRejected with fee_not_paid once 30 days passed
// since the fee was charged (payment_not_due before); the notifications
// projection tells the citizen.
func (h *TimeoutUnpaidFeeHandler) Handle(ctx context.Context, cmd TimeoutUnpaidFee) (ApplicationResult, error) {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = SystemActor.ID, SystemActor.Role
	md.CommandID = h.d.NewID().String()
	md.CausationID = md.CommandID
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	at := cmd.At
	return h.d.onApplication(WithMetadata(ctx, md), cmd.ApplicationID, "TimeoutUnpaidFee", func(a *domain.ForeignerAccount, _ domain.Actor, now time.Time) error {
		if !at.IsZero() {
			now = at.UTC()
		}
		return a.TimeoutUnpaidFee(cmd.ApplicationID, SystemActor, now)
	})
}

// TimeoutApplication is Handle for the scheduler's unpaid-fee job.
func (h *TimeoutUnpaidFeeHandler) TimeoutApplication(ctx context.Context, application uuid.UUID, now time.Time) error {
	_, err := h.Handle(ctx, TimeoutUnpaidFee{ApplicationID: application, At: now})
	return err
}
