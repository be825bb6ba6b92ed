package readapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/tickets"
	"github.com/kabinet/kabinet/projections/appointments"
)

// officeHours is one weekday's opening hours, Moscow time.
type officeHours struct {
	Weekday string `json:"weekday"`
	Open    string `json:"open"`
	Close   string `json:"close"`
}

type officeView struct {
	domain.Office
	Hours []officeHours `json:"hours"`
}

func presentOffice(o domain.Office) officeView {
	v := officeView{Office: o, Hours: []officeHours{}}
	for d := time.Monday; d <= time.Saturday+1; d++ {
		h := o.Week[d%7]
		if h.Open < h.Close {
			v.Hours = append(v.Hours, officeHours{Weekday: (d % 7).String(),
				Open: fmt.Sprintf("%02d:%02d", h.Open/60, h.Open%60), Close: fmt.Sprintf("%02d:%02d", h.Close/60, h.Close%60)})
		}
	}
	return v
}

// GET /v1/offices?service= — anyone: the offices serving a purpose (a
// service code or identity_verification), or all.
func (h *deskServer) listOffices(w http.ResponseWriter, r *http.Request) {
	items := []officeView{}
	for _, o := range domain.Offices(r.URL.Query().Get("service")) {
		items = append(items, presentOffice(o))
	}
	httpx.WriteJSON(w, http.StatusOK, page[officeView]{Items: items})
}

type slotView struct {
	Slot    time.Time `json:"slot"`
	SlotEnd time.Time `json:"slot_end"`
}

// GET /v1/offices/{office}/slots?date=YYYY-MM-DD — anyone: the slots of
// that Moscow day in the office's hours that no visit holds and that have
// not begun.
func (h *deskServer) freeSlots(w http.ResponseWriter, r *http.Request) {
	o, ok := domain.OfficeByID(chi.URLParam(r, "office"))
	if !ok {
		httpx.WriteError(w, r, httpx.NotFound("no such office"))
		return
	}
	day, err := domain.ParseDate(r.URL.Query().Get("date"))
	if err != nil {
		httpx.WriteError(w, r, httpx.BadRequest("date_invalid", "date must be YYYY-MM-DD"))
		return
	}
	if !h.consistent(w, r, appointments.ProjectorName) {
		return
	}
	start := day.Time(domain.Moscow)
	held, err := h.d.Appointments.Held(r.Context(), o.ID, start, start.AddDate(0, 0, 1))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	now := h.clock()
	items := []slotView{}
	for _, s := range o.Slots(day, h.d.Calendar) {
		if s.After(now) && !held[s.UnixNano()] && !s.After(now.AddDate(0, 0, domain.BookingHorizonDays)) {
			items = append(items, slotView{Slot: s, SlotEnd: s.Add(o.Slot())})
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"office_id": o.ID, "date": day.String(), "slot_minutes": o.SlotMinutes, "items": items,
	})
}

// GET /v1/accounts/{id}/appointments — owner: the visits, soonest first.
func (h *deskServer) listAppointments(w http.ResponseWriter, r *http.Request) {
	id, ok := h.accountParam(w, r)
	if !ok {
		return
	}
	limit, cursor, ok := listing(w, r)
	if !ok || !h.consistent(w, r, appointments.ProjectorName) {
		return
	}
	items, next, err := h.d.Appointments.List(r.Context(), id.String(), cursor, limit)
	writePage(w, r, items, next, err)
}

// appointmentView is a visit with its ticket's signed reference.
type appointmentView struct {
	appointments.Appointment
	Reference string `json:"reference,omitempty"`
	QRCode    string `json:"qr_code,omitempty"`
}

// ownAppointment reads {ap} for its owner; anyone else learns nothing (404).
func (h *deskServer) ownAppointment(w http.ResponseWriter, r *http.Request) (*appointments.Appointment, bool) {
	p, ok := principalOf(r)
	if !ok {
		h.guard.Deny(w, r, http.StatusUnauthorized, auth.ReasonUnauthorized)
		return nil, false
	}
	if _, err := uuid.Parse(chi.URLParam(r, "ap")); err != nil || p.Role != auth.RoleCitizen {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return nil, false
	}
	if !h.consistent(w, r, appointments.ProjectorName) {
		return nil, false
	}
	ap, err := h.d.Appointments.Get(r.Context(), chi.URLParam(r, "ap"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return nil, false
	}
	if ap == nil || ap.AccountID != p.AccountID.String() {
		h.guard.Deny(w, r, http.StatusNotFound, auth.ReasonNotFound)
		return nil, false
	}
	return ap, true
}

func (h *deskServer) reference(ap *appointments.Appointment) string {
	return h.d.Tickets.Reference(tickets.TicketRef{AppointmentID: uuid.MustParse(ap.AppointmentID), Ticket: ap.Ticket,
		OfficeID: ap.OfficeID, Slot: ap.Slot.Unix()})
}

// GET /v1/appointments/{ap} — owner: the visit and, while it is ready for
// the visit, its ticket's signed reference and QR code's address.
func (h *deskServer) getAppointment(w http.ResponseWriter, r *http.Request) {
	ap, ok := h.ownAppointment(w, r)
	if !ok {
		return
	}
	v := appointmentView{Appointment: *ap}
	if ap.Status == domain.AppointmentReady {
		v.Reference, v.QRCode = h.reference(ap), "/v1/appointments/"+ap.AppointmentID+"/ticket.png"
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

// GET /v1/appointments/{ap}/ticket.png — owner: the QR code (PNG) of the
// ticket's signed reference; a cancelled visit has none (404).
func (h *deskServer) ticketPNG(w http.ResponseWriter, r *http.Request) {
	ap, ok := h.ownAppointment(w, r)
	if !ok {
		return
	}
	if ap.Status != domain.AppointmentReady {
		httpx.WriteError(w, r, httpx.NotFound("the visit has no ticket"))
		return
	}
	png, err := h.d.Tickets.QR(h.reference(ap))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(png)
}

// GET /v1/tickets/verify?ref= — anyone (the office's check of a QR code):
// valid when the signature holds and the visit is still at that slot and
// not cancelled. It tells the ticket, office, slot and purpose, nothing
// about the person.
func (h *deskServer) verifyTicket(w http.ResponseWriter, r *http.Request) {
	ref, err := h.d.Tickets.Verify(r.URL.Query().Get("ref"))
	if err != nil {
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"valid": false, "reason": "signature_invalid"})
		return
	}
	if !h.consistent(w, r, appointments.ProjectorName) {
		return
	}
	ap, err := h.d.Appointments.Get(r.Context(), ref.AppointmentID.String())
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	reason := ""
	switch {
	case ap == nil:
		reason = "unknown"
	case ap.Status == domain.AppointmentStatusCancelled:
		reason = "cancelled"
	case !ap.Slot.Equal(ref.SlotTime()):
		reason = "rescheduled"
	}
	out := map[string]any{"valid": reason == "", "ticket": ref.Ticket, "office_id": ref.OfficeID, "slot": ref.SlotTime(),
		"appointment_id": ref.AppointmentID.String()}
	if reason != "" {
		out["reason"] = reason
	} else {
		out["purpose"], out["status"] = ap.Purpose, ap.Status
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// GET /v1/tickets/public-key — anyone: the Ed25519 key tickets are signed with.
func (h *deskServer) ticketKey(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(h.d.Tickets.PublicKey() + "\n"))
}
