package web

import (
	"bytes"
	"net/http"
)

// view is what every page template receives.
type view struct {
	Lang     string
	Path     string
	SignedIn bool
	Error    string            // the form's error, in the person's language or the API's words
	Fields   map[string]string // field → error shown beside it
	Form     map[string]string // the values typed, shown again after an error
	Data     any
}

func (s *Server) newView(r *http.Request) view {
	_, signed := s.session(r)
	return view{Lang: langOf(r), Path: r.URL.Path, SignedIn: signed, Fields: map[string]string{}, Form: map[string]string{}}
}

// render writes page name with status; a template failure is logged and
// answered 500 without a half-written page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, status int, v view) {
	s.execute(w, r, name, status, v.Lang, v)
}

// execute writes page name, rendered with data, with status; lang is the
// language of the message a template failure answers.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, name string, status int, lang string, data any) {
	t, ok := s.pages[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, messages[lang]["err.generic"], http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes()) //nolint:errcheck // the client is gone; nothing to do
}

// withProblem puts an API refusal on the view: the field errors beside
// their fields, the detail on top.
func withProblem(v view, a apiAnswer) view {
	p := a.Problem()
	localizeProblem(v.Lang, a, &p)
	for f, m := range p.Fields {
		v.Fields[f] = m
	}
	v.Error = p.Detail
	if v.Error == "" {
		v.Error = messages[v.Lang]["err.generic"]
	}
	return v
}

// formValues copies the named form fields into the view.
func formValues(r *http.Request, v view, names ...string) view {
	for _, n := range names {
		v.Form[n] = r.PostFormValue(n)
	}
	return v
}

// statusOf is the page status for an API refusal: the API's own for a
// client error, else 502 (the page could not be served).
func statusOf(a apiAnswer) int {
	if a.Status >= 400 && a.Status < 500 {
		return a.Status
	}
	return http.StatusBadGateway
}
