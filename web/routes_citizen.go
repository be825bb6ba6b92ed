package web

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
)

// cookieESign holds the e-signature challenge between asking for it and
// downloading it (HttpOnly, like every cookie of the pages).
const cookieESign = "kabinet_esign"

// citizenRoutes mounts the citizen's own pages beyond the first ones:
// sessions, SNILS and INN, identity verification, notifications, and
// through deskRoutes and moreCitizenRoutes the desk, visits, contacts and
// the activity log.
func (s *Server) citizenRoutes(r chi.Router) {
	r.Get("/cabinet/sessions", s.sessionsPage)
	r.Post("/cabinet/sessions/{sid}/revoke", s.revokeSession)
	r.Get("/cabinet/identifiers", s.identifiersPage)
	r.Post("/cabinet/snils", s.linkIdentifier("snils"))
	r.Post("/cabinet/inn", s.linkIdentifier("inn"))
	r.Get("/cabinet/verification", s.verificationPage)
	r.Post("/cabinet/verification", s.requestVerification)
	r.Get("/cabinet/verification/challenge", s.downloadChallenge)
	r.Post("/cabinet/verification/signature", s.uploadSignature)
	r.Post("/cabinet/verification/code", s.verificationCode)
	r.Get("/cabinet/notifications", s.notificationsPage)
	r.Post("/cabinet/notifications/preferences", s.notificationPreferences)
	s.deskRoutes(r)
	s.moreCitizenRoutes(r)
}

// accountPath is the API path of the signed-in person's account plus rest.
func (s *Server) accountPath(r *http.Request, rest string) string {
	sess, _ := s.session(r)
	return "/v1/accounts/" + url.PathEscape(sess.account) + rest
}

// listPage renders page with the items the API lists at path.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request, path, page string, v view) {
	a, _, ok := s.authed(w, r, http.MethodGet, path, nil)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.render(w, r, "error", statusOf(a), withProblem(v, a))
		return
	}
	v.Data = a.Body["items"]
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, page, status, v)
}

// refused renders page again with the API's refusal; a refusal that names
// no field is shown beside field, the one the form is about.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, page, field string, v view, a apiAnswer) {
	v = withProblem(v, a)
	if field != "" && v.Fields[field] == "" {
		v.Fields[field] = v.Error
	}
	s.render(w, r, page, statusOf(a), v)
}

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request) {
	s.listPage(w, r, s.accountPath(r, "/sessions"), "sessions", s.newView(r))
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.authed(w, r, http.MethodDelete, s.accountPath(r, "/sessions/"+url.PathEscape(chi.URLParam(r, "sid"))), nil)
	if !ok {
		return
	}
	if a.Status >= 300 {
		s.render(w, r, "error", statusOf(a), withProblem(s.newView(r), a))
		return
	}
	if r.PostFormValue("current") == "true" {
		s.clearSession(w)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/cabinet/sessions", http.StatusSeeOther)
}

func (s *Server) identifiersPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	s.render(w, r, "identifiers", http.StatusOK, s.newView(r))
}

// linkIdentifier links SNILS or INN (name is the form field, the API's body
// member and its path alike).
func (s *Server) linkIdentifier(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := formValues(r, s.newView(r), name)
		a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/"+name), map[string]string{name: v.Form[name]})
		if !ok {
			return
		}
		if a.Status != http.StatusOK {
			s.refused(w, r, "identifiers", name, v, a)
			return
		}
		http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
	}
}

// verificationData is what the verification page shows.
type verificationData struct {
	Methods   []string
	Challenge bool // an e-signature challenge waits to be signed
}

var verificationMethods = []string{"e_signature", "bank", "russian_post", "service_center", "video"}

func (s *Server) verificationView(r *http.Request) view {
	v := s.newView(r)
	c, err := r.Cookie(cookieESign)
	v.Data = verificationData{Methods: verificationMethods, Challenge: err == nil && c.Value != ""}
	return v
}

func (s *Server) verificationPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	s.render(w, r, "verification", http.StatusOK, s.verificationView(r))
}

func (s *Server) requestVerification(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.verificationView(r), "method")
	a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/identity-verification"), map[string]string{"method": v.Form["method"]})
	if !ok {
		return
	}
	if a.Status != http.StatusAccepted {
		s.refused(w, r, "verification", "method", v, a)
		return
	}
	if ch := str(a.Body, "challenge"); ch != "" {
		http.SetCookie(w, s.cookie(cookieESign, ch, 10*time.Minute))
	}
	http.Redirect(w, r, "/cabinet/verification?requested="+url.QueryEscape(v.Form["method"]), http.StatusSeeOther)
}

// downloadChallenge gives the challenge's raw bytes as a file to sign.
func (s *Server) downloadChallenge(w http.ResponseWriter, r *http.Request) {
	var raw []byte
	if c, err := r.Cookie(cookieESign); err == nil {
		raw, _ = base64.StdEncoding.DecodeString(c.Value)
	}
	if len(raw) == 0 {
		http.Redirect(w, r, "/cabinet/verification", http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="challenge.bin"`)
	w.Write(raw) //nolint:errcheck // the client is gone
}

// uploadSignature sends the signature file (DER CMS) as the API's base64.
func (s *Server) uploadSignature(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	v := s.verificationView(r)
	var raw []byte
	if err := r.ParseMultipartForm(1 << 20); err == nil {
		if f, _, err := r.FormFile("signature"); err == nil {
			raw, _ = io.ReadAll(f)
			f.Close()
		}
	}
	if len(raw) == 0 {
		v.Fields["signature"] = messages[v.Lang]["f.signature_missing"]
		v.Error = messages[v.Lang]["err.fix"]
		s.render(w, r, "verification", http.StatusUnprocessableEntity, v)
		return
	}
	a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/identity-verification/signature"),
		map[string]string{"signature": base64.StdEncoding.EncodeToString(raw)})
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		s.refused(w, r, "verification", "signature", v, a)
		return
	}
	http.SetCookie(w, s.cookie(cookieESign, "", 0))
	http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
}

func (s *Server) verificationCode(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.verificationView(r), "vcode")
	a, _, ok := s.authed(w, r, http.MethodPost, s.accountPath(r, "/identity-verification/code"), map[string]string{"code": v.Form["vcode"]})
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		v = withProblem(v, a)
		if m := v.Fields["code"]; m != "" {
			v.Fields["vcode"] = m
		}
		if v.Fields["vcode"] == "" {
			v.Fields["vcode"] = v.Error
		}
		s.render(w, r, "verification", statusOf(a), v)
		return
	}
	http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r)
	v.Form["frequency"] = "immediate"
	s.listPage(w, r, s.accountPath(r, "/notifications"), "notifications", v)
}

func (s *Server) notificationPreferences(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "email", "sms", "push", "frequency")
	body := map[string]any{"email": v.Form["email"] == "on", "sms": v.Form["sms"] == "on",
		"push": v.Form["push"] == "on", "frequency": v.Form["frequency"]}
	a, _, ok := s.authed(w, r, http.MethodPut, s.accountPath(r, "/notification-preferences"), body)
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		v = withProblem(v, a)
		if v.Fields["frequency"] == "" {
			v.Fields["frequency"] = v.Error
		}
		s.listPage(w, r, s.accountPath(r, "/notifications"), "notifications", v)
		return
	}
	http.Redirect(w, r, "/cabinet/notifications", http.StatusSeeOther)
}
