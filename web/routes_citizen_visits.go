package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// visitRoutes mounts the visits: the list and the booking form (an office,
// a purpose and a day, then one of that day's free slots), one visit with
// its ticket's QR code, moving it to another slot and cancelling it.
func (s *Server) visitRoutes(r chi.Router) {
	r.Get("/cabinet/appointments", s.appointmentsPage)
	r.Post("/cabinet/appointments", s.bookAppointment)
	r.Get("/cabinet/appointments/{ap}", s.appointmentPage)
	r.Get("/cabinet/appointments/{ap}/ticket.png", s.ticketImage)
	r.Post("/cabinet/appointments/{ap}/cancel", s.cancelAppointment)
	r.Post("/cabinet/appointments/{ap}/reschedule", s.rescheduleAppointment)
}

// purposeOption is one purpose a visit can be booked for.
type purposeOption struct {
	Code string
	Name any // {ru, en}
}

// visitsData is what the visits pages show.
type visitsData struct {
	Visits    []any
	Offices   []any
	Purposes  []purposeOption
	Names     map[string]any // an office's id or a purpose's code → its {ru, en} name
	Documents []any          // the cabinet's documents, to tick for the visit
	Ticked    map[string]bool
	Slots     []any // the free slots of the office on the day asked
	Asked     bool  // the free slots were asked for
	Visit     map[string]any
}

// visitCatalog reads the offices and the services' names (public routes)
// into d.
func (s *Server) visitCatalog(r *http.Request, d *visitsData) {
	d.Names = map[string]any{}
	offices := s.call(r, http.MethodGet, "/v1/offices", "", nil)
	d.Offices, _ = offices.Body["items"].([]any)
	services := s.call(r, http.MethodGet, "/v1/services", "", nil)
	items, _ := services.Body["items"].([]any)
	served := map[string]bool{}
	for _, o := range d.Offices {
		m, _ := o.(map[string]any)
		d.Names[str(m, "office_id")] = m["name"]
		ps, _ := m["purposes"].([]any)
		for _, p := range ps {
			if c, ok := p.(string); ok {
				served[c] = true
			}
		}
	}
	idv := "identity_verification"
	d.Names[idv] = map[string]any{langRU: messages[langRU]["purpose."+idv], langEN: messages[langEN]["purpose."+idv]}
	d.Purposes = []purposeOption{{Code: idv, Name: d.Names[idv]}}
	for _, it := range items {
		m, _ := it.(map[string]any)
		c := str(m, "code")
		d.Names[c] = m["name"]
		if served[c] {
			d.Purposes = append(d.Purposes, purposeOption{Code: c, Name: m["name"]})
		}
	}
}

// officeServes reports whether office is known and serves purpose.
func officeServes(d visitsData, office, purpose string) (known, serves bool) {
	for _, o := range d.Offices {
		m, _ := o.(map[string]any)
		if str(m, "office_id") != office {
			continue
		}
		ps, _ := m["purposes"].([]any)
		return true, slices.Contains(ps, any(purpose))
	}
	return false, false
}

// freeSlots asks the API for office's free slots on day into d; a refusal
// is put beside the day's field.
func (s *Server) freeSlots(r *http.Request, v view, d *visitsData, office, day string) {
	a := s.call(r, http.MethodGet, "/v1/offices/"+url.PathEscape(office)+"/slots?"+url.Values{"date": {day}}.Encode(), "", nil)
	if a.Status != http.StatusOK {
		v2 := withProblem(s.newView(r), a)
		v.Fields["date"] = v2.Error
		return
	}
	d.Slots, _ = a.Body["items"].([]any)
	d.Asked = true
}

// tomorrow is the next Moscow day, the booking form's first choice.
func tomorrow() string {
	return time.Now().In(moscow).AddDate(0, 0, 1).Format(time.DateOnly)
}

// renderVisits shows the visits and the booking form with v's choices:
// when an office and a day are chosen and valid, that day's free slots.
func (s *Server) renderVisits(w http.ResponseWriter, r *http.Request, v view, status int, ticked []string) {
	a, sess, ok := s.authed(w, r, http.MethodGet, s.accountPath(r, "/appointments"), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return
	}
	d := visitsData{Ticked: map[string]bool{}}
	d.Visits, _ = a.Body["items"].([]any)
	s.visitCatalog(r, &d)
	cab := s.call(r, http.MethodGet, s.accountPath(r, "/cabinet"), sess.token, nil)
	d.Documents, _ = cab.Body["documents"].([]any)
	for _, t := range ticked {
		d.Ticked[t] = true
	}
	if v.Form["date"] == "" {
		v.Form["date"] = tomorrow()
	}
	if v.Form["office"] != "" || v.Form["purpose"] != "" {
		s.checkVisitChoice(r, v, &d)
	}
	if status == http.StatusOK && len(v.Fields) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if len(v.Fields) > 0 && v.Error == "" {
		v.Error = messages[v.Lang]["err.fix"]
	}
	v.Data = d
	s.render(w, r, "appointments", status, v)
}

// checkVisitChoice checks the office, purpose and day chosen, beside
// their fields, and asks for the day's free slots when they hold.
func (s *Server) checkVisitChoice(r *http.Request, v view, d *visitsData) {
	msg := messages[v.Lang]
	office, purpose, day := v.Form["office"], v.Form["purpose"], v.Form["date"]
	known, serves := officeServes(*d, office, purpose)
	switch {
	case office == "":
		v.Fields["office"] = msg["f.office_missing"]
	case !known:
		v.Fields["office"] = msg["e.office_unknown"]
	}
	switch {
	case purpose == "":
		v.Fields["purpose"] = msg["f.purpose_missing"]
	case known && !serves:
		v.Fields["purpose"] = msg["f.purpose_not_here"]
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		v.Fields["date"] = msg["f.date_missing"]
	}
	if v.Fields["office"] == "" && v.Fields["date"] == "" {
		s.freeSlots(r, v, d, office, day)
	}
}

// appointmentsPage is the list and the booking form; ?office=, ?purpose=
// and ?date= (an office's id, a service code, a day: nothing personal)
// are the form's choices, which show that day's free slots.
func (s *Server) appointmentsPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r)
	q := r.URL.Query()
	for _, k := range []string{"office", "purpose", "date"} {
		v.Form[k] = strings.TrimSpace(q.Get(k))
	}
	s.renderVisits(w, r, v, http.StatusOK, nil)
}

// visitFieldOf maps an API refusal of a booking onto the form's fields.
func visitFieldOf(code, field string) string {
	switch {
	case code == "slot_taken" || code == "slot_invalid" || code == "appointment_started" || field == "slot":
		return "slot"
	case code == "documents_missing" || code == "document_expired" || code == "document_unknown" ||
		field == "document_ids" || strings.HasPrefix(field, "document"):
		return "documents"
	case code == "purpose_not_served" || field == "purpose":
		return "purpose"
	case code == "office_unknown" || field == "office_id":
		return "office"
	}
	return "slot"
}

// placeRefusal puts a's refusal beside the booking form's fields.
func placeRefusal(v view, a apiAnswer) view {
	v = withProblem(v, a)
	p := a.Problem()
	fields := map[string]string{}
	for f, m := range v.Fields {
		if _, fromAPI := p.Fields[f]; fromAPI {
			delete(v.Fields, f)
			if k := visitFieldOf(p.Code, f); fields[k] == "" {
				fields[k] = m
			}
		}
	}
	if len(fields) == 0 {
		fields[visitFieldOf(p.Code, "")] = v.Error
	}
	for k, m := range fields {
		v.Fields[k] = m
	}
	return v
}

// slotOf reads the form's slot, an RFC 3339 time of the free slots offered.
func slotOf(r *http.Request, v view) (string, bool) {
	slot := r.PostFormValue("slot")
	if _, err := time.Parse(time.RFC3339, slot); err != nil {
		v.Fields["slot"] = messages[v.Lang]["f.slot_missing"]
		return "", false
	}
	return slot, true
}

// bookAppointment books the slot chosen with the documents ticked; the
// visit's page shows its ticket.
func (s *Server) bookAppointment(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "office", "purpose", "date")
	ticked := []string{}
	for _, id := range r.PostForm["document"] {
		if _, err := uuid.Parse(id); err == nil {
			ticked = append(ticked, id)
		}
	}
	slot, ok := slotOf(r, v)
	if !ok {
		if _, signed := s.session(r); !signed {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		s.renderVisits(w, r, v, http.StatusUnprocessableEntity, ticked)
		return
	}
	a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/appointments"), map[string]any{
		"office_id": v.Form["office"], "slot": slot, "purpose": v.Form["purpose"], "document_ids": ticked,
	})
	if !ok {
		return
	}
	if a.Status != http.StatusCreated {
		s.renderVisits(w, r, placeRefusal(v, a), statusOf(a), ticked)
		return
	}
	http.Redirect(w, r, "/cabinet/appointments/"+url.PathEscape(str(a.Body, "appointment_id")), http.StatusSeeOther)
}

func appointmentPath(r *http.Request, rest string) string {
	return "/v1/appointments/" + url.PathEscape(chi.URLParam(r, "ap")) + rest
}

// renderVisit shows one visit: its ticket and QR code while it is ready,
// cancelling it and moving it to a free slot of ?date= at its office. The
// API answers only the visit's owner: anyone else gets a 404 page.
func (s *Server) renderVisit(w http.ResponseWriter, r *http.Request, v view, status int) {
	a, _, ok := s.authed(w, r, http.MethodGet, appointmentPath(r, ""), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return
	}
	d := visitsData{Visit: a.Body}
	s.visitCatalog(r, &d)
	if v.Form["date"] == "" {
		v.Form["date"] = tomorrow()
	} else if str(a.Body, "status") == "ready_for_visit" {
		if _, err := time.Parse(time.DateOnly, v.Form["date"]); err != nil {
			v.Fields["date"] = messages[v.Lang]["f.date_missing"]
		} else {
			s.freeSlots(r, v, &d, str(a.Body, "office_id"), v.Form["date"])
		}
	}
	if status == http.StatusOK && len(v.Fields) > 0 {
		status = http.StatusUnprocessableEntity
	}
	v.Data = d
	s.render(w, r, "appointment", status, v)
}

func (s *Server) appointmentPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r)
	v.Form["date"] = strings.TrimSpace(r.URL.Query().Get("date"))
	s.renderVisit(w, r, v, http.StatusOK)
}

// ticketImage passes on the ticket's QR code (the API's PNG) to its owner.
func (s *Server) ticketImage(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.authed(w, r, http.MethodGet, appointmentPath(r, "/ticket.png"), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK || a.Header.Get("Content-Type") != "image/png" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(a.Raw) //nolint:errcheck // the client is gone
}

func (s *Server) cancelAppointment(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.authed(w, r, http.MethodPost, appointmentPath(r, "/cancel"), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		if a.Status == http.StatusNotFound {
			s.render(w, r, "error", http.StatusNotFound, withProblem(s.newView(r), a))
			return
		}
		v := withProblem(s.newView(r), a)
		v.Fields["cancel"] = v.Error
		s.renderVisit(w, r, v, statusOf(a))
		return
	}
	http.Redirect(w, r, "/cabinet/appointments/"+url.PathEscape(chi.URLParam(r, "ap")), http.StatusSeeOther)
}

func (s *Server) rescheduleAppointment(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "date")
	slot, ok := slotOf(r, v)
	if !ok {
		if _, signed := s.session(r); !signed {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		s.renderVisit(w, r, v, http.StatusUnprocessableEntity)
		return
	}
	a, _, ok := s.authed(w, r, http.MethodPost, appointmentPath(r, "/reschedule"), map[string]string{"slot": slot})
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		if a.Status == http.StatusNotFound {
			s.render(w, r, "error", http.StatusNotFound, withProblem(s.newView(r), a))
			return
		}
		v = withProblem(v, a)
		v.Fields = map[string]string{"slot": v.Error}
		s.renderVisit(w, r, v, statusOf(a))
		return
	}
	http.Redirect(w, r, "/cabinet/appointments/"+url.PathEscape(chi.URLParam(r, "ap")), http.StatusSeeOther)
}
