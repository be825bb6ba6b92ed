package domain

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Appointments («Запись на приём», docs/DOMAIN.md §12).
const (
	// AppointmentReady is a booked visit whose documents were checked:
	// the citizen holds a ticket («Готово к визиту»).
	AppointmentReady = "ready_for_visit"
	// AppointmentCancelled is a visit the citizen called off.
	AppointmentStatusCancelled = "cancelled"
	// BookingHorizonDays is how far ahead a slot may be booked.
	BookingHorizonDays = 30
)

// Appointment error codes.
const (
	CodeSlotTaken           = "slot_taken"
	CodeSlotInvalid         = "slot_invalid"
	CodeOfficeUnknown       = "office_unknown"
	CodePurposeNotServed    = "purpose_not_served"
	CodeAppointmentNotFound = "appointment_not_found"
	CodeAppointmentStarted  = "appointment_started"
)

// identityVisit is what a service-centre identity verification needs
// brought to the visit: the identity document whose originals are checked.
var identityVisit = Service{Code: PurposeIdentityVerification, Documents: []DocumentRequirement{needIdentity, needStayRight}}

// AppointmentInput is a booking as the citizen asks for it.
type AppointmentInput struct {
	OfficeID    string
	Slot        time.Time
	Purpose     string
	DocumentIDs []uuid.UUID
}

// AppointmentState is one visit as the account holds it.
type AppointmentState struct {
	AppointmentID uuid.UUID   `json:"appointment_id"`
	Number        string      `json:"ticket"`
	OfficeID      string      `json:"office_id"`
	Purpose       string      `json:"purpose"`
	Slot          time.Time   `json:"slot"`
	SlotEnd       time.Time   `json:"slot_end"`
	Status        string      `json:"status"`
	DocumentIDs   []uuid.UUID `json:"document_ids"`
}

// AppointmentBooked records a visit booked at an office's slot.
type AppointmentBooked struct {
	AppointmentID uuid.UUID   `json:"appointment_id"`
	Number        string      `json:"number"`
	OfficeID      string      `json:"office_id"`
	Purpose       string      `json:"purpose"`
	Slot          time.Time   `json:"slot"`
	SlotEnd       time.Time   `json:"slot_end"`
	DocumentIDs   []uuid.UUID `json:"document_ids"`
	By            string      `json:"by"`
	ByRole        string      `json:"by_role"`
	OccurredAt    time.Time   `json:"occurred_at"`
}

// AppointmentReadyForVisit records that the attached documents met the
// purpose's requirements: the visit's electronic ticket is Ticket.
type AppointmentReadyForVisit struct {
	AppointmentID uuid.UUID `json:"appointment_id"`
	Ticket        string    `json:"ticket"`
	Checked       []string  `json:"checked"` // the requirements met
	OccurredAt    time.Time `json:"occurred_at"`
}

// AppointmentRescheduled records that a visit moved to another slot.
type AppointmentRescheduled struct {
	AppointmentID uuid.UUID `json:"appointment_id"`
	OfficeID      string    `json:"office_id"`
	FromSlot      time.Time `json:"from_slot"`
	Slot          time.Time `json:"slot"`
	SlotEnd       time.Time `json:"slot_end"`
	By            string    `json:"by"`
	ByRole        string    `json:"by_role"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// AppointmentCancelled records that a visit was called off.
type AppointmentCancelled struct {
	AppointmentID uuid.UUID `json:"appointment_id"`
	OfficeID      string    `json:"office_id"`
	Slot          time.Time `json:"slot"`
	By            string    `json:"by"`
	ByRole        string    `json:"by_role"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// CheckSlot resolves the office and checks that slot starts one of its
// slots, after now and within BookingHorizonDays (slot_invalid).
func CheckSlot(officeID string, slot, now time.Time, cal *Calendar) (Office, error) {
	o, ok := OfficeByID(officeID)
	if !ok {
		return Office{}, fieldError("office_id", CodeOfficeUnknown, "no office "+officeID)
	}
	switch {
	case !slot.After(now):
		return o, fieldError("slot", CodeSlotInvalid, "the slot has begun or passed")
	case slot.After(now.AddDate(0, 0, BookingHorizonDays)):
		return o, fieldError("slot", CodeSlotInvalid, "slots open 30 days ahead")
	case !o.IsSlot(slot, cal):
		return o, fieldError("slot", CodeSlotInvalid, "the time is not a slot of the office's working hours")
	}
	return o, nil
}

// BookAppointment books a visit: the slot must be the office's (CheckSlot),
// the purpose one it serves, and the attached documents, in force on the
// visit's day, must meet the purpose's requirements (documents_missing);
// then reserve is called (the command claims the slot and takes the
// visit's number: whether a slot is free is not the account's to know) and
// the visit is ready with that number as its ticket; an error of reserve
// is returned as it is. A service-centre identity verification also
// requests the verification, unless it is pending by that method already.
func (a *ForeignerAccount) BookAppointment(id uuid.UUID, in AppointmentInput, cal *Calendar, actor Actor, now time.Time, rnd io.Reader, h CodeHasher, reserve func() (string, error)) error {
	if err := actor.check(); err != nil {
		return err
	}
	o, err := CheckSlot(in.OfficeID, in.Slot, now, cal)
	if err != nil {
		return err
	}
	purpose := strings.TrimSpace(in.Purpose)
	if !slices.Contains(o.Purposes, purpose) {
		return fieldError("purpose", CodePurposeNotServed, "the office does not serve "+purpose).WithDetail("purposes", o.Purposes)
	}
	svc := identityVisit
	if purpose != PurposeIdentityVerification {
		svc, _ = ServiceByCode(purpose)
	}
	docs, err := a.attachable(in.DocumentIDs, MoscowDate(in.Slot))
	if err != nil {
		return err
	}
	if err := a.documentsComplete(svc, docs); err != nil {
		return err
	}
	if purpose == PurposeIdentityVerification {
		if err := a.canRequestVisitVerification(now); err != nil {
			return err
		}
	}
	number, err := reserve()
	if err != nil {
		return err
	}
	if purpose == PurposeIdentityVerification {
		if err := a.requestVisitVerification(now, cal, rnd, h); err != nil {
			return err
		}
	}
	now = now.UTC()
	a.record(AppointmentBooked{
		AppointmentID: id, Number: number, OfficeID: o.ID, Purpose: purpose, Slot: in.Slot.UTC(),
		SlotEnd: in.Slot.Add(o.Slot()).UTC(), DocumentIDs: docs, By: actor.ID, ByRole: actor.Role, OccurredAt: now,
	})
	checked := make([]string, len(svc.Documents))
	for i, r := range svc.Documents {
		checked[i] = r.Code
	}
	a.record(AppointmentReadyForVisit{AppointmentID: id, Ticket: number, Checked: checked, OccurredAt: now})
	return nil
}

// canRequestVisitVerification checks that a service-centre verification
// is pending or may be requested (the refusals RequestIdentityVerification
// would give), before anything is reserved.
func (a *ForeignerAccount) canRequestVisitVerification(now time.Time) error {
	v := a.identity.verification
	switch {
	case v.status == VerificationPending && v.method == MethodServiceCenter:
		return nil
	case v.status == VerificationVerified:
		return NewError(CodeAlreadyVerified, "the identity is already verified")
	case v.status == VerificationPending:
		return NewError(CodeVerificationPending, "a verification by %s is already pending", v.method).WithDetail("method", v.method.String())
	}
	today := MoscowDate(now)
	if missing := a.missingForStandard(today); len(missing) > 0 {
		return NewError(CodeLevelTooLow, "identity verification needs the standard level first; missing: %s", strings.Join(missing, ", ")).
			WithDetail("required", LevelStandard.String()).WithDetail("missing", missing)
	}
	if !a.HasValidStay(today) {
		return NewError(CodeNoLegalStay, "add a stay-right document in force before verifying the identity")
	}
	return nil
}

// requestVisitVerification requests a service-centre verification unless
// one is pending already.
func (a *ForeignerAccount) requestVisitVerification(now time.Time, cal *Calendar, rnd io.Reader, h CodeHasher) error {
	if v := a.identity.verification; v.status == VerificationPending && v.method == MethodServiceCenter {
		return nil
	}
	_, err := a.RequestIdentityVerification(MethodServiceCenter, now, cal, rnd, h)
	return err
}

// RescheduleAppointment moves visit id to slot of the same office, until
// the visit's slot begins (appointment_started).
func (a *ForeignerAccount) RescheduleAppointment(id uuid.UUID, slot time.Time, cal *Calendar, actor Actor, now time.Time) error {
	ap, err := a.changeableAppointment(id, actor, now)
	if err != nil {
		return err
	}
	o, err := CheckSlot(ap.OfficeID, slot, now, cal)
	if err != nil {
		return err
	}
	if slot.Equal(ap.Slot) {
		return fieldError("slot", CodeSlotInvalid, "the visit is at that slot already")
	}
	a.record(AppointmentRescheduled{
		AppointmentID: id, OfficeID: o.ID, FromSlot: ap.Slot, Slot: slot.UTC(), SlotEnd: slot.Add(o.Slot()).UTC(),
		By: actor.ID, ByRole: actor.Role, OccurredAt: now.UTC(),
	})
	return nil
}

// CancelAppointment calls visit id off, until its slot begins.
func (a *ForeignerAccount) CancelAppointment(id uuid.UUID, actor Actor, now time.Time) error {
	ap, err := a.changeableAppointment(id, actor, now)
	if err != nil {
		return err
	}
	a.record(AppointmentCancelled{AppointmentID: id, OfficeID: ap.OfficeID, Slot: ap.Slot, By: actor.ID, ByRole: actor.Role, OccurredAt: now.UTC()})
	return nil
}

func (a *ForeignerAccount) changeableAppointment(id uuid.UUID, actor Actor, now time.Time) (*AppointmentState, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	ap := a.desk.appointments[id]
	switch {
	case ap == nil:
		return nil, NewError(CodeAppointmentNotFound, "no appointment %s on this account", id)
	case ap.Status != AppointmentReady:
		return nil, NewError(CodeInvalidTransition, "a %s visit cannot change", ap.Status).
			WithDetail("from", ap.Status).WithDetail("to", AppointmentStatusCancelled)
	case !now.Before(ap.Slot):
		return nil, NewError(CodeAppointmentStarted, "the visit's slot has begun; it can no longer change")
	}
	return ap, nil
}

// Appointment returns visit id, if the account has it.
func (a *ForeignerAccount) Appointment(id uuid.UUID) (AppointmentState, bool) {
	ap, ok := a.desk.appointments[id]
	if !ok {
		return AppointmentState{}, false
	}
	c := *ap
	c.DocumentIDs = slices.Clone(ap.DocumentIDs)
	return c, true
}

// applyAppointments folds the appointment events.
func (d *desk) applyAppointments(e Event) {
	switch e := e.(type) {
	case AppointmentBooked:
		d.appointments[e.AppointmentID] = &AppointmentState{
			AppointmentID: e.AppointmentID, Number: e.Number, OfficeID: e.OfficeID, Purpose: e.Purpose,
			Slot: e.Slot, SlotEnd: e.SlotEnd, Status: "booked", DocumentIDs: slices.Clone(e.DocumentIDs),
		}
	case AppointmentReadyForVisit:
		if ap := d.appointments[e.AppointmentID]; ap != nil {
			ap.Status = AppointmentReady
		}
	case AppointmentRescheduled:
		if ap := d.appointments[e.AppointmentID]; ap != nil {
			ap.Slot, ap.SlotEnd = e.Slot, e.SlotEnd
		}
	case AppointmentCancelled:
		if ap := d.appointments[e.AppointmentID]; ap != nil {
			ap.Status = AppointmentStatusCancelled
		}
	}
}
