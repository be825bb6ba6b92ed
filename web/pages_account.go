package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	s.render(w, r, "home", http.StatusOK, s.newView(r))
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "register", http.StatusOK, s.newView(r))
}

var registerFields = []string{"surname", "given_names", "patronymic", "citizenship", "phone", "email", "consent"}

// register creates the account through the API, keeps its first session in
// the cookies and sends a code to the phone (else the email).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), registerFields...)
	body := map[string]any{
		"surname": v.Form["surname"], "given_names": v.Form["given_names"], "citizenship": strings.ToUpper(v.Form["citizenship"]),
	}
	for _, k := range []string{"patronymic", "phone", "email"} {
		if v.Form[k] != "" {
			body[k] = v.Form[k]
		}
	}
	if s.cfg.ConsentVersion != "" {
		if v.Form["consent"] == "" {
			v.Fields["consent"] = messages[v.Lang]["f.consent"]
			v.Error = messages[v.Lang]["err.fix"]
			s.render(w, r, "register", http.StatusUnprocessableEntity, v)
			return
		}
		body["consent"] = map[string]any{"personal_data": true, "version": s.cfg.ConsentVersion}
	}
	a := s.call(r, http.MethodPost, "/v1/accounts", "", body)
	if a.Status != http.StatusCreated {
		s.render(w, r, "register", statusOf(a), withProblem(v, a))
		return
	}
	sess, ttl := sessionFrom(a.Body, "")
	s.setSession(w, sess, ttl)
	if pos := a.Header.Get("X-Kabinet-Position"); pos != "" {
		http.SetCookie(w, s.cookie(cookiePosition, pos, 10*time.Minute))
	}
	channel := "phone"
	if v.Form["phone"] == "" {
		channel = "email"
	}
	s.call(r, http.MethodPost, "/v1/accounts/"+url.PathEscape(sess.account)+"/contacts/"+channel+"/code", sess.token, nil)
	http.Redirect(w, r, "/confirm?channel="+channel, http.StatusSeeOther)
}

func channelOf(r *http.Request) string {
	ch := r.FormValue("channel")
	if ch != "email" {
		ch = "phone"
	}
	return ch
}

func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	v := s.newView(r)
	v.Form["channel"] = channelOf(r)
	s.render(w, r, "confirm", http.StatusOK, v)
}

// confirm sends the code the person typed; a wrong one is shown with the
// attempts left, as the API answers it.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r)
	v.Form["channel"] = channelOf(r)
	sess, _ := s.session(r)
	a, _, ok := s.authed(w, r, http.MethodPost, "/v1/accounts/"+url.PathEscape(sess.account)+"/contacts/"+v.Form["channel"]+"/confirm",
		map[string]string{"code": strings.TrimSpace(r.PostFormValue("code"))})
	if !ok {
		return
	}
	if a.Status != http.StatusOK {
		v = withProblem(v, a)
		if left := num(a.Body, "attempts_left"); left != "" {
			v.Fields["code"] = v.Error + " (" + left + ")"
		} else {
			v.Fields["code"] = v.Error
		}
		s.render(w, r, "confirm", statusOf(a), v)
		return
	}
	http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
}

func (s *Server) resend(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r)
	v.Form["channel"] = channelOf(r)
	sess, _ := s.session(r)
	a, _, ok := s.authed(w, r, http.MethodPost, "/v1/accounts/"+url.PathEscape(sess.account)+"/contacts/"+v.Form["channel"]+"/code", nil)
	if !ok {
		return
	}
	if a.Status >= 400 {
		s.render(w, r, "confirm", statusOf(a), withProblem(v, a))
		return
	}
	http.Redirect(w, r, "/confirm?channel="+v.Form["channel"], http.StatusSeeOther)
}

func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "signin", http.StatusOK, s.newView(r))
}

// signin checks the password through the API, which sends the second
// factor; the challenge's id waits in a short-lived cookie.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "login")
	a := s.call(r, http.MethodPost, "/v1/sessions", "", map[string]string{
		"login": strings.TrimSpace(v.Form["login"]), "password": r.PostFormValue("password"),
	})
	if a.Status != http.StatusAccepted {
		s.render(w, r, "signin", statusOf(a), withProblem(v, a))
		return
	}
	http.SetCookie(w, s.cookie(cookieChallenge, str(a.Body, "challenge_id"), 30*time.Minute))
	v.Form["masked_to"] = str(a.Body, "masked_to")
	s.render(w, r, "signin_code", http.StatusOK, v)
}

// signinCode completes the sign-in with the code and keeps the session.
func (s *Server) signinCode(w http.ResponseWriter, r *http.Request) {
	v := formValues(r, s.newView(r), "masked_to")
	c, err := r.Cookie(cookieChallenge)
	if err != nil || c.Value == "" {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	a := s.call(r, http.MethodPost, "/v1/sessions/challenges/"+url.PathEscape(c.Value), "",
		map[string]string{"code": strings.TrimSpace(r.PostFormValue("code"))})
	if a.Status != http.StatusCreated {
		v = withProblem(v, a)
		v.Fields["code"] = v.Error
		s.render(w, r, "signin_code", statusOf(a), v)
		return
	}
	http.SetCookie(w, s.cookie(cookieChallenge, "", 0))
	sess, ttl := sessionFrom(a.Body, "")
	s.setSession(w, sess, ttl)
	http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
}

// logout ends the session in the API (its tokens stop working at once) and
// forgets the cookies.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if sess, ok := s.session(r); ok && sess.token != "" {
		s.call(r, http.MethodDelete, "/v1/sessions/current", sess.token, nil)
	}
	s.clearSession(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
