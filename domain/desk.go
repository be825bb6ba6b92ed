package domain

import (
	"time"

	"github.com/google/uuid"
)

// desk is the rest of the cabinet (docs/DOMAIN.md §12): support requests,
// appointments, complaints, fine payments and expiry reminders. It
// changes only in apply.
type desk struct {
	support      map[uuid.UUID]*SupportRequestState
	appointments map[uuid.UUID]*AppointmentState
	complaints   map[uuid.UUID]*ComplaintState
	finePayments []FinePayment
	reminded     map[reminderKey]bool
}

// apply folds one event of the desk's concerns; others leave it unchanged.
func (d *desk) apply(e Event) {
	if d.support == nil {
		d.support = map[uuid.UUID]*SupportRequestState{}
		d.appointments = map[uuid.UUID]*AppointmentState{}
		d.complaints = map[uuid.UUID]*ComplaintState{}
		d.reminded = map[reminderKey]bool{}
	}
	d.applySupport(e)
	d.applyAppointments(e)
	d.applyComplaints(e)
	d.applyFines(e)
	d.applyReminders(e)
}

// deskEventTypes are the events of support requests, appointments,
// complaints, fines and reminders.
var deskEventTypes = []eventType{
	typeOf[SupportRequestOpened](1),
	typeOf[SupportMessagePosted](1),
	typeOf[SupportRequestResolved](1),
	typeOf[SupportRequestClosed](1),
	typeOf[AppointmentBooked](1),
	typeOf[AppointmentReadyForVisit](1),
	typeOf[AppointmentRescheduled](1),
	typeOf[AppointmentCancelled](1),
	typeOf[ComplaintFiled](1),
	typeOf[ComplaintUpheld](1),
	typeOf[ComplaintDismissed](1),
	typeOf[FinePaid](1),
	typeOf[FinePaymentRefused](1),
	typeOf[FinePaymentRefunded](1),
	typeOf[DocumentExpiryReminded](1),
}

// EventType implements Event.
func (SupportRequestOpened) EventType() string { return "SupportRequestOpened" }

// EventType implements Event.
func (SupportMessagePosted) EventType() string { return "SupportMessagePosted" }

// EventType implements Event.
func (SupportRequestResolved) EventType() string { return "SupportRequestResolved" }

// EventType implements Event.
func (SupportRequestClosed) EventType() string { return "SupportRequestClosed" }

// EventType implements Event.
func (AppointmentBooked) EventType() string { return "AppointmentBooked" }

// EventType implements Event.
func (AppointmentReadyForVisit) EventType() string { return "AppointmentReadyForVisit" }

// EventType implements Event.
func (AppointmentRescheduled) EventType() string { return "AppointmentRescheduled" }

// EventType implements Event.
func (AppointmentCancelled) EventType() string { return "AppointmentCancelled" }

// EventType implements Event.
func (ComplaintFiled) EventType() string { return "ComplaintFiled" }

// EventType implements Event.
func (ComplaintUpheld) EventType() string { return "ComplaintUpheld" }

// EventType implements Event.
func (ComplaintDismissed) EventType() string { return "ComplaintDismissed" }

// EventType implements Event.
func (FinePaid) EventType() string { return "FinePaid" }

// EventType implements Event.
func (FinePaymentRefused) EventType() string { return "FinePaymentRefused" }

// EventType implements Event.
func (FinePaymentRefunded) EventType() string { return "FinePaymentRefunded" }

// EventType implements Event.
func (DocumentExpiryReminded) EventType() string { return "DocumentExpiryReminded" }

func (e SupportRequestOpened) occurredAt() time.Time     { return e.OccurredAt }
func (e SupportMessagePosted) occurredAt() time.Time     { return e.OccurredAt }
func (e SupportRequestResolved) occurredAt() time.Time   { return e.OccurredAt }
func (e SupportRequestClosed) occurredAt() time.Time     { return e.OccurredAt }
func (e AppointmentBooked) occurredAt() time.Time        { return e.OccurredAt }
func (e AppointmentReadyForVisit) occurredAt() time.Time { return e.OccurredAt }
func (e AppointmentRescheduled) occurredAt() time.Time   { return e.OccurredAt }
func (e AppointmentCancelled) occurredAt() time.Time     { return e.OccurredAt }
func (e ComplaintFiled) occurredAt() time.Time           { return e.OccurredAt }
func (e ComplaintUpheld) occurredAt() time.Time          { return e.OccurredAt }
func (e ComplaintDismissed) occurredAt() time.Time       { return e.OccurredAt }
func (e FinePaid) occurredAt() time.Time                 { return e.OccurredAt }
func (e FinePaymentRefused) occurredAt() time.Time       { return e.OccurredAt }
func (e FinePaymentRefunded) occurredAt() time.Time      { return e.OccurredAt }
func (e DocumentExpiryReminded) occurredAt() time.Time   { return e.OccurredAt }
