package web

import (
	"net/http"
	"time"
)

// Cookie names. Each is HttpOnly and SameSite=Strict: no script reads them
// and no other site's request carries them.
const (
	cookieToken     = "kabinet_token"
	cookieRefresh   = "kabinet_refresh"
	cookieAccount   = "kabinet_account"
	cookieChallenge = "kabinet_challenge"
	cookieLang      = "kabinet_lang"
	cookiePosition  = "kabinet_position"
)

// session is what the browser's cookies hold of a signed-in citizen.
type session struct {
	token, refresh, account string
}

func (s *Server) session(r *http.Request) (session, bool) {
	var out session
	if c, err := r.Cookie(cookieToken); err == nil {
		out.token = c.Value
	}
	if c, err := r.Cookie(cookieRefresh); err == nil {
		out.refresh = c.Value
	}
	if c, err := r.Cookie(cookieAccount); err == nil {
		out.account = c.Value
	}
	return out, out.account != "" && (out.token != "" || out.refresh != "")
}

func (s *Server) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge.Seconds())}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// setSession stores a session's tokens: the access token for its lifetime,
// the refresh token for the session's absolute limit.
func (s *Server) setSession(w http.ResponseWriter, sess session, expiresIn time.Duration) {
	if expiresIn <= 0 {
		expiresIn = 15 * time.Minute
	}
	http.SetCookie(w, s.cookie(cookieToken, sess.token, expiresIn))
	if sess.refresh != "" {
		http.SetCookie(w, s.cookie(cookieRefresh, sess.refresh, 12*time.Hour))
	}
	http.SetCookie(w, s.cookie(cookieAccount, sess.account, 12*time.Hour))
}

func (s *Server) clearSession(w http.ResponseWriter) {
	for _, n := range []string{cookieToken, cookieRefresh, cookieAccount, cookieChallenge} {
		http.SetCookie(w, s.cookie(n, "", 0))
	}
}

// sessionFrom reads a token answer (registration, sign-in, refresh).
func sessionFrom(body map[string]any, account string) (session, time.Duration) {
	sess := session{token: str(body, "token"), refresh: str(body, "refresh_token"), account: account}
	if sess.account == "" {
		sess.account = str(body, "account_id")
	}
	var ttl time.Duration
	if v, ok := body["expires_in"].(float64); ok {
		ttl = time.Duration(v) * time.Second
	}
	return sess, ttl
}

// authed calls the API as the signed-in citizen. An expired access token is
// renewed once with the refresh token (rotating it); a session that cannot
// be renewed sends the person to sign in, and authed answers false.
func (s *Server) authed(w http.ResponseWriter, r *http.Request, method, path string, body any) (apiAnswer, session, bool) {
	sess, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return apiAnswer{}, sess, false
	}
	a := s.call(r, method, path, sess.token, body)
	if a.Status == http.StatusUnauthorized && sess.refresh != "" {
		ref := s.call(r, http.MethodPost, "/v1/sessions/refresh", "", map[string]string{"refresh_token": sess.refresh})
		if ref.Status == http.StatusOK {
			fresh, ttl := sessionFrom(ref.Body, sess.account)
			s.setSession(w, fresh, ttl)
			sess = fresh
			a = s.call(r, method, path, sess.token, body)
		}
	}
	if a.Status == http.StatusUnauthorized {
		s.clearSession(w)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return a, sess, false
	}
	if pos := a.Header.Get("X-Kabinet-Position"); pos != "" && method != http.MethodGet && a.Status < 300 {
		// The next page reads its own writes: it waits for this position.
		http.SetCookie(w, s.cookie(cookiePosition, pos, 10*time.Minute))
	}
	return a, sess, true
}
