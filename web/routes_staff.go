package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/kabinet/kabinet/platform/auth"
)

// StaffConfig lets staff (operators, auditors, the security team) sign in
// through the organisation's OpenID Connect provider: the authorization
// code flow with S256 PKCE, the ID token kept as the staff session and
// presented to the API as its bearer token, so the roles, the second
// factor and the journal are the API's.
type StaffConfig struct {
	// Provider verifies the provider's tokens with the API's rules and
	// knows its endpoints (discovery).
	Provider *auth.OIDCVerifier
	// ClientID is the web's client at the provider: the audience the
	// API's staff tokens must carry, since the ID token is one.
	ClientID string
	// ClientSecret is the client's secret; "" for a public client.
	ClientSecret string
	// RedirectURL is the absolute URL of /staff/callback registered at
	// the provider; "" derives it from the host the browser asked for.
	RedirectURL string
	// JournalKey is the journal's verifier key (a signed note's public
	// key): the auditor's timeline checks each event's proof with it.
	JournalKey string
	// RejectionReasons is the closed list of reasons an operator may
	// reject an application for.
	RejectionReasons []string
	// IdentityRejectionReasons is the closed list of reasons an operator
	// may reject an identity verification for.
	IdentityRejectionReasons []string
}

// Cookies of the staff pages, scoped to /staff. The session holds the ID
// token (SameSite=Strict); the flow cookie holds the sign-in's state,
// nonce and PKCE verifier between /staff/signin and /staff/callback, and
// is SameSite=Lax because the provider's redirect back is a navigation
// from another site.
const (
	cookieStaff     = "kabinet_staff"
	cookieStaffFlow = "kabinet_staff_flow"
	staffFlowTTL    = 10 * time.Minute
	staffMaxSession = 12 * time.Hour
)

// staffSession is a signed-in member of staff: the ID token and the
// principal it verified to.
type staffSession struct {
	token string
	p     auth.Principal
}

// staffView is what every staff page template receives.
type staffView struct {
	view
	Role    string
	Subject string
}

// staffHome is each role's first page.
var staffHome = map[auth.Role]string{
	auth.RoleOperator: "/staff/queue",
	auth.RoleAuditor:  "/staff/audit",
	auth.RoleSecurity: "/staff/journal",
}

// staffRoutes mounts the staff pages.
func (s *Server) staffRoutes(r chi.Router) {
	r.Get("/staff", s.staffIndex)
	r.Get("/staff/signin", s.staffSignin)
	r.Get("/staff/callback", s.staffCallback)
	r.Post("/staff/signout", s.staffSignout)
	s.operatorRoutes(r)
	s.identityRoutes(r)
	s.auditRoutes(r)
	s.securityRoutes(r)
}

func (s *Server) staffCookie(name, value string, maxAge time.Duration, site http.SameSite) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/staff", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: site, MaxAge: int(maxAge.Seconds())}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

func (s *Server) newStaffView(r *http.Request, sess staffSession) staffView {
	path := r.URL.Path
	if r.URL.RawQuery != "" && r.Method == http.MethodGet {
		path += "?" + r.URL.RawQuery
	}
	v := staffView{view: view{Lang: langOf(r), Path: path, Fields: map[string]string{}, Form: map[string]string{}}}
	if !sess.p.Role.IsZero() {
		v.Role, v.Subject, v.SignedIn = sess.p.Role.String(), sess.p.Subject, true
	}
	return v
}

// renderStaff writes staff page name (a template staff_*.html) with status.
func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, name string, status int, v staffView) {
	s.execute(w, r, name, status, v.Lang, v)
}

// staffError renders the staff error page with the message of key.
func (s *Server) staffError(w http.ResponseWriter, r *http.Request, sess staffSession, status int, key string) {
	v := s.newStaffView(r, sess)
	v.Error = messages[v.Lang][key]
	if v.Error == "" {
		v.Error = key
	}
	s.renderStaff(w, r, "staff_error", status, v)
}

// staffProblem renders an API refusal on the staff error page.
func (s *Server) staffProblem(w http.ResponseWriter, r *http.Request, sess staffSession, a apiAnswer) {
	v := s.newStaffView(r, sess)
	v.view = withProblem(v.view, a)
	if m := messages[v.Lang]["staff.code."+a.Problem().Code]; m != "" {
		v.Error = m
	}
	s.renderStaff(w, r, "staff_error", statusOf(a), v)
}

// staffSessionOf reads and verifies the staff session cookie.
func (s *Server) staffSessionOf(r *http.Request) (staffSession, bool) {
	if s.cfg.Staff == nil {
		return staffSession{}, false
	}
	c, err := r.Cookie(cookieStaff)
	if err != nil || c.Value == "" {
		return staffSession{}, false
	}
	p, err := s.cfg.Staff.Provider.VerifyToken(r.Context(), c.Value)
	if err != nil {
		return staffSession{}, false
	}
	return staffSession{token: c.Value, p: p}, true
}

// staffPage admits a signed-in member of staff; anyone else is sent to
// sign in (a citizen's session is no staff session), and staffPage
// answers false.
func (s *Server) staffPage(w http.ResponseWriter, r *http.Request) (staffSession, bool) {
	if s.cfg.Staff == nil {
		s.staffError(w, r, staffSession{}, http.StatusNotFound, "staff.unconfigured")
		return staffSession{}, false
	}
	sess, ok := s.staffSessionOf(r)
	if !ok {
		if _, err := r.Cookie(cookieStaff); err == nil {
			http.SetCookie(w, s.staffCookie(cookieStaff, "", 0, http.SameSiteStrictMode))
		}
		http.Redirect(w, r, "/staff/signin", http.StatusSeeOther)
		return sess, false
	}
	return sess, true
}

// staffCall calls the API as the member of staff, for a page of role. An
// expired or refused token sends them to sign in again; the API's denial
// of their role (403, or the 404 it answers a role the route is not for)
// is shown as a 403 page. staffCall answers false when it has answered.
func (s *Server) staffCall(w http.ResponseWriter, r *http.Request, sess staffSession, role auth.Role, method, path string, body any) (apiAnswer, bool) {
	return s.staffAnswered(w, r, sess, role, s.call(r, method, path, sess.token, body), method != http.MethodGet)
}

// staffAnswered is staffCall for an answer already received; write tells
// a command's answer, whose position the next page waits for.
func (s *Server) staffAnswered(w http.ResponseWriter, r *http.Request, sess staffSession, role auth.Role, a apiAnswer, write bool) (apiAnswer, bool) {
	switch {
	case a.Status == http.StatusUnauthorized:
		http.SetCookie(w, s.staffCookie(cookieStaff, "", 0, http.SameSiteStrictMode))
		http.Redirect(w, r, "/staff/signin", http.StatusSeeOther)
		return a, false
	case a.Status == http.StatusForbidden || a.Status == http.StatusNotFound && sess.p.Role != role:
		s.staffError(w, r, sess, http.StatusForbidden, "staff.forbidden")
		return a, false
	}
	if pos := a.Header.Get("X-Kabinet-Position"); pos != "" && write && a.Status < 300 {
		http.SetCookie(w, s.cookie(cookiePosition, pos, 10*time.Minute))
	}
	return a, true
}

// staffIndex sends a signed-in member of staff to their role's page.
func (s *Server) staffIndex(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.staffPage(w, r)
	if !ok {
		return
	}
	home, ok := staffHome[sess.p.Role]
	if !ok {
		s.staffError(w, r, sess, http.StatusForbidden, "staff.forbidden")
		return
	}
	http.Redirect(w, r, home, http.StatusSeeOther)
}

// oauthConfig is the code flow's client configuration, from the
// provider's discovery document.
func (s *Server) oauthConfig(r *http.Request) (*oauth2.Config, error) {
	sc := s.cfg.Staff
	ep, err := sc.Provider.Endpoint(r.Context())
	if err != nil {
		return nil, err
	}
	if sc.ClientSecret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	redirect := sc.RedirectURL
	if redirect == "" {
		scheme := "http"
		if r.TLS != nil || s.cfg.Secure {
			scheme = "https"
		}
		redirect = (&url.URL{Scheme: scheme, Host: r.Host, Path: "/staff/callback"}).String()
	}
	return &oauth2.Config{ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, Endpoint: ep,
		RedirectURL: redirect, Scopes: []string{"openid", "profile"}}, nil
}

// staffSignin starts the authorization code flow: a fresh state, nonce
// and PKCE verifier go into the flow cookie, the S256 challenge and the
// nonce to the provider.
func (s *Server) staffSignin(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Staff == nil {
		s.staffError(w, r, staffSession{}, http.StatusNotFound, "staff.unconfigured")
		return
	}
	oc, err := s.oauthConfig(r)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "staff sign-in: provider discovery", "err", err)
		s.staffError(w, r, staffSession{}, http.StatusBadGateway, "staff.provider_down")
		return
	}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	http.SetCookie(w, s.staffCookie(cookieStaffFlow, state+"."+nonce+"."+verifier, staffFlowTTL, http.SameSiteLaxMode))
	http.Redirect(w, r, oc.AuthCodeURL(state, oauth2.SetAuthURLParam("nonce", nonce),
		oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// staffCallback ends the flow: the state must be the flow cookie's, the
// code is exchanged with the PKCE verifier, and the ID token must verify
// with the API's rules and carry the flow's nonce. The session is then
// the ID token. Every failure is a page saying what went wrong, with a
// link to start again.
func (s *Server) staffCallback(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Staff == nil {
		s.staffError(w, r, staffSession{}, http.StatusNotFound, "staff.unconfigured")
		return
	}
	http.SetCookie(w, s.staffCookie(cookieStaffFlow, "", 0, http.SameSiteLaxMode)) // one use
	q := r.URL.Query()
	c, err := r.Cookie(cookieStaffFlow)
	var flow []string
	if err == nil {
		flow = strings.Split(c.Value, ".")
	}
	switch {
	case len(flow) != 3:
		s.staffError(w, r, staffSession{}, http.StatusBadRequest, "staff.no_flow")
		return
	case q.Get("error") != "":
		s.cfg.Logger.WarnContext(r.Context(), "staff sign-in refused by the provider", "error", q.Get("error"))
		s.staffError(w, r, staffSession{}, http.StatusUnauthorized, "staff.provider_refused")
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(flow[0])) != 1:
		s.staffError(w, r, staffSession{}, http.StatusBadRequest, "staff.bad_state")
		return
	case q.Get("code") == "":
		s.staffError(w, r, staffSession{}, http.StatusBadRequest, "staff.no_code")
		return
	}
	oc, err := s.oauthConfig(r)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "staff sign-in: provider discovery", "err", err)
		s.staffError(w, r, staffSession{}, http.StatusBadGateway, "staff.provider_down")
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, s.cfg.Staff.Provider.HTTPClient())
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(flow[2]))
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "staff sign-in: code exchange", "err", err)
		s.staffError(w, r, staffSession{}, http.StatusUnauthorized, "staff.bad_code")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	p, exp, err := s.cfg.Staff.Provider.VerifyIDToken(ctx, raw, flow[1])
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "staff sign-in: ID token", "err", err)
		key := "staff.bad_token"
		if errors.Is(err, auth.ErrMFARequired) {
			key = "staff.mfa_required"
		}
		s.staffError(w, r, staffSession{}, http.StatusUnauthorized, key)
		return
	}
	ttl := min(time.Until(exp), staffMaxSession)
	http.SetCookie(w, s.staffCookie(cookieStaff, raw, ttl, http.SameSiteStrictMode))
	// The next page is reached from this one, not by a redirect: a
	// redirect chain that began at the provider is cross-site, and the
	// browser would not send the SameSite=Strict session with it.
	sess := staffSession{token: raw, p: p}
	v := s.newStaffView(r, sess)
	v.Data = staffHome[p.Role]
	if v.Data == "" {
		v.Data = "/staff"
	}
	s.renderStaff(w, r, "staff_signedin", http.StatusOK, v)
}

// staffSignout ends the staff session in this browser.
func (s *Server) staffSignout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.staffCookie(cookieStaff, "", 0, http.SameSiteStrictMode))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
