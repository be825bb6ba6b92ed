package web

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
)

// deskRoutes mounts the citizen's support requests, fines and complaints
// (the visits are in visitRoutes).
func (s *Server) deskRoutes(r chi.Router) {
	r.Get("/cabinet/support", s.supportPage)
	r.Post("/cabinet/support", s.createSupportRequest)
	r.Get("/cabinet/fines", s.finesPage)
	s.fineRoutes(r)
	r.Get("/applications/{app}/complaint", s.complaintForm)
	r.Post("/applications/{app}/complaint", s.fileComplaint)
}

func (s *Server) supportPage(w http.ResponseWriter, r *http.Request) {
	s.listPage(w, r, s.accountPath(r, "/support-requests"), "support", s.newView(r))
}

func (s *Server) createSupportRequest(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "topic", "text")
	a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/support-requests"),
		map[string]string{"topic": v.Form["topic"], "text": v.Form["text"]})
	if !ok {
		return
	}
	if a.Status != http.StatusCreated {
		v = withProblem(v, a)
		if v.Fields["topic"] == "" && v.Fields["text"] == "" {
			v.Fields["text"] = v.Error
		}
		s.listPage(w, r, s.accountPath(r, "/support-requests"), "support", v)
		return
	}
	http.Redirect(w, r, "/cabinet/support", http.StatusSeeOther)
}

func (s *Server) complaintForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	v := s.newView(r)
	v.Data = chi.URLParam(r, "app")
	s.render(w, r, "complaint", http.StatusOK, v)
}

func (s *Server) fileComplaint(w http.ResponseWriter, r *http.Request) {
	app := chi.URLParam(r, "app")
	v := formValues(r, s.newView(r), "text", "corrections")
	v.Data = app
	a, _, ok := s.authed(w, r, http.MethodPost, "/v1/applications/"+url.PathEscape(app)+"/complaints",
		map[string]string{"text": v.Form["text"], "corrections": v.Form["corrections"]})
	if !ok {
		return
	}
	if a.Status != http.StatusCreated {
		s.refused(w, r, "complaint", "text", v, a)
		return
	}
	http.Redirect(w, r, "/applications/"+url.PathEscape(app), http.StatusSeeOther)
}
