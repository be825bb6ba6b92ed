package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"
)

// moreCitizenRoutes mounts the citizen's visits (booking, the ticket,
// moving and cancelling), support threads, contacts, reading
// notifications and the activity log. Every identifier a URL carries is
// the API's opaque id (a visit, a request, a notification) or a public
// one (an office, a day); contacts travel only in POST bodies.
func (s *Server) moreCitizenRoutes(r chi.Router) {
	s.visitRoutes(r)
	r.Get("/cabinet/support/{req}", s.supportThread)
	r.Post("/cabinet/support/{req}/messages", s.postSupportMessage)
	r.Post("/cabinet/support/{req}/close", s.closeSupportRequest)
	r.Post("/cabinet/notifications/{nid}/read", s.markNotificationRead)
	r.Get("/cabinet/activity", s.activityPage)
	s.contactRoutes(r)
}

func supportPath(r *http.Request, rest string) string {
	return "/v1/support-requests/" + url.PathEscape(chi.URLParam(r, "req")) + rest
}

func (s *Server) supportThread(w http.ResponseWriter, r *http.Request) {
	s.renderThread(w, r, s.newView(r), http.StatusOK)
}

// renderThread shows the request with its messages and v's errors; the
// API answers only the request's owner (and operators), so another
// citizen's request is a 404 page with nothing of it.
func (s *Server) renderThread(w http.ResponseWriter, r *http.Request, v view, status int) {
	a, _, ok := s.authed(w, r, http.MethodGet, supportPath(r, ""), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return
	}
	v.Data = a.Body
	s.render(w, r, "support_thread", status, v)
}

func (s *Server) postSupportMessage(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "text")
	a, _, ok := s.authed(w, r, http.MethodPost, supportPath(r, "/messages"), map[string]string{"text": v.Form["text"]})
	if !ok {
		return
	}
	if a.Status != http.StatusCreated {
		if a.Status == http.StatusNotFound {
			s.render(w, r, "error", http.StatusNotFound, withProblem(s.newView(r), a))
			return
		}
		v = withProblem(v, a)
		if v.Fields["text"] == "" {
			v.Fields["text"] = v.Error
		}
		s.renderThread(w, r, v, statusOf(a))
		return
	}
	http.Redirect(w, r, "/cabinet/support/"+url.PathEscape(chi.URLParam(r, "req")), http.StatusSeeOther)
}

func (s *Server) closeSupportRequest(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.authed(w, r, http.MethodPost, supportPath(r, "/close"), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		if a.Status == http.StatusNotFound {
			s.render(w, r, "error", http.StatusNotFound, withProblem(s.newView(r), a))
			return
		}
		s.renderThread(w, r, withProblem(s.newView(r), a), statusOf(a))
		return
	}
	http.Redirect(w, r, "/cabinet/support/"+url.PathEscape(chi.URLParam(r, "req")), http.StatusSeeOther)
}

// markNotificationRead marks one notification read and goes back to the
// list (the API has no "mark all": each is marked on its own).
func (s *Server) markNotificationRead(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/notifications/"+url.PathEscape(chi.URLParam(r, "nid"))+"/read"), nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return
	}
	http.Redirect(w, r, "/cabinet/notifications", http.StatusSeeOther)
}

// activityData is one page of the account's own journal.
type activityData struct {
	Items []any
	Next  string // the next page's first seq, "" on the last page
	Later bool   // this is not the first page
}

// activityPage lists the account's journal entries, oldest first, a page
// at a time (?from= is the API's cursor: a journal sequence number).
func (s *Server) activityPage(w http.ResponseWriter, r *http.Request) {
	from := r.URL.Query().Get("from")
	q := url.Values{"limit": {"50"}}
	if from != "" {
		if _, err := strconv.ParseUint(from, 10, 64); err != nil {
			http.Redirect(w, r, "/cabinet/activity", http.StatusSeeOther)
			return
		}
		q.Set("cursor", from)
	}
	a, _, ok := s.authed(w, r, http.MethodGet, s.accountPath(r, "/activity?"+q.Encode()), nil)
	if !ok {
		return
	}
	v := s.newView(r)
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(v, a))
		return
	}
	items, _ := a.Body["items"].([]any)
	v.Data = activityData{Items: items, Next: str(a.Body, "next_cursor"), Later: from != ""}
	s.render(w, r, "activity", http.StatusOK, v)
}
