package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

func (s *Server) services(w http.ResponseWriter, r *http.Request) {
	a := s.call(r, http.MethodGet, "/v1/services", "", nil)
	v := s.newView(r)
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(v, a))
		return
	}
	v.Data = a.Body["items"]
	s.render(w, r, "services", http.StatusOK, v)
}

// serviceData is a service's definition and the documents the person may
// attach to it.
type serviceData struct {
	Service   map[string]any
	Documents []any
}

// service finds the catalog's definition of code.
func (s *Server) service(r *http.Request, code string) map[string]any {
	a := s.call(r, http.MethodGet, "/v1/services", "", nil)
	items, _ := a.Body["items"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && str(m, "code") == code {
			return m
		}
	}
	return nil
}

func (s *Server) serviceForm(w http.ResponseWriter, r *http.Request) {
	s.showServiceForm(w, r, s.newView(r), http.StatusOK)
}

func (s *Server) showServiceForm(w http.ResponseWriter, r *http.Request, v view, status int) {
	svc := s.service(r, chi.URLParam(r, "code"))
	if svc == nil {
		http.NotFound(w, r)
		return
	}
	sess, _ := s.session(r)
	a, _, ok := s.authed(w, r, http.MethodGet, "/v1/accounts/"+url.PathEscape(sess.account)+"/cabinet", nil)
	if !ok {
		return
	}
	docs, _ := a.Body["documents"].([]any)
	v.Data = serviceData{Service: svc, Documents: docs}
	s.render(w, r, "service", status, v)
}

// submitApplication builds the form from the catalog's field definitions
// (each field's type says how its inputs are read) and files it.
func (s *Server) submitApplication(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	svc := s.service(r, code)
	if svc == nil {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	v := s.newView(r)
	for k := range r.PostForm {
		v.Form[k] = r.PostForm.Get(k)
	}
	form := map[string]any{}
	fields, _ := svc["fields"].([]any)
	for _, f := range fields {
		fd, _ := f.(map[string]any)
		name, typ := str(fd, "name"), str(fd, "type")
		if val, ok := fieldValue(r, name, typ); ok {
			form[name] = val
		}
	}
	docs := r.PostForm["document_ids"]
	if docs == nil {
		docs = []string{}
	}
	sess, _ := s.session(r)
	a, _, ok := s.authed(w, r, http.MethodPost, "/v1/accounts/"+url.PathEscape(sess.account)+"/applications",
		map[string]any{"service": code, "form": form, "document_ids": docs})
	if !ok {
		return
	}
	if a.Status != http.StatusCreated {
		v = withProblem(v, a)
		for k, m := range v.Fields {
			v.Fields[strings.TrimPrefix(k, "form.")] = m
		}
		s.showServiceForm(w, r, v, statusOf(a))
		return
	}
	http.Redirect(w, r, "/applications/"+url.PathEscape(str(a.Body, "application_id")), http.StatusSeeOther)
}

// fieldValue reads one form field as the catalog's type wants it.
func fieldValue(r *http.Request, name, typ string) (any, bool) {
	switch typ {
	case "bool":
		return r.PostFormValue(name) == "on", true
	case "int":
		raw := strings.TrimSpace(r.PostFormValue(name))
		if raw == "" {
			return nil, false
		}
		if n, err := strconv.Atoi(raw); err == nil {
			return n, true
		}
		return raw, true // the API names the wrong type
	case "address":
		addr := map[string]string{}
		for _, part := range []string{"region", "city", "street", "house", "flat", "postal_code"} {
			if val := strings.TrimSpace(r.PostFormValue(name + "." + part)); val != "" {
				addr[part] = val
			}
		}
		return addr, len(addr) > 0
	default:
		val := strings.TrimSpace(r.PostFormValue(name))
		return val, val != ""
	}
}

func (s *Server) application(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.authed(w, r, http.MethodGet, "/v1/applications/"+url.PathEscape(chi.URLParam(r, "app")), nil)
	if !ok {
		return
	}
	v := s.newView(r)
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(v, a))
		return
	}
	v.Data = a.Body
	s.render(w, r, "application", http.StatusOK, v)
}
