package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/httpx"
)

// Reasons a Guard passes to OnDenied; they are the problem codes answered.
const (
	ReasonUnauthorized = httpx.CodeUnauthorized
	ReasonForbidden    = httpx.CodeForbidden
	ReasonNotFound     = httpx.CodeNotFound
	// ReasonMFARequired is a staff token without proof of a second factor.
	ReasonMFARequired = httpx.CodeMFARequired
)

// Guard answers requests that may not go on, and tells OnDenied about each
// one so the action journal can record denied attempts. A nil *Guard works
// as NewGuard() without a hook.
type Guard struct {
	// DeniedStatus answers a principal who may not touch an account:
	// http.StatusNotFound (the default), so a caller cannot learn that an
	// id exists, or http.StatusForbidden.
	DeniedStatus int
	// OnDenied, when set, is called for every 401, 403 and 404 the guard
	// answers, with the reason code, before the answer is written.
	OnDenied func(r *http.Request, status int, reason string)
	// Sessions, when set, is asked about every principal that carries a
	// session id (sid): a token of a session that has ended is answered
	// 401 with reason ReasonSessionEnded. Principals without a sid are not
	// asked about.
	Sessions Sessions
	// Throttle, when set, is asked after OnDenied whether this denial may
	// be answered as such; an error (a 429 rate_limited) is answered
	// instead, so a client probing tokens, signatures or ids is slowed
	// down and learns nothing more.
	Throttle func(r *http.Request) error
}

// Sessions tells whether a sign-in session may still be used. Active
// reports false for a session that has ended (logout, revocation, idle or
// absolute limit, refresh reuse) or that never existed; an error means it
// could not tell, and the request is refused with 500.
type Sessions interface {
	Active(ctx context.Context, sessionID string) (bool, error)
}

// ReasonSessionEnded is the reason a Guard gives OnDenied for a token whose
// session has ended.
const ReasonSessionEnded = "session_ended"

// NewGuard returns a guard answering 404 to principals who may not see an
// account.
func NewGuard() *Guard {
	return &Guard{DeniedStatus: http.StatusNotFound}
}

func (g *Guard) deniedStatus() int {
	if g == nil || g.DeniedStatus != http.StatusForbidden {
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// Deny answers status (401, 403 or 404; any other status answers 404) as
// problem+json and reports it to OnDenied with reason first. A 401 carries
// WWW-Authenticate: Bearer unless the caller has set a more precise one.
func (g *Guard) Deny(w http.ResponseWriter, r *http.Request, status int, reason string) {
	var err error
	switch status {
	case http.StatusUnauthorized:
		if w.Header().Get("WWW-Authenticate") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kabinet"`)
		}
		err = httpx.Unauthorized("a valid bearer token is required")
		if reason == ReasonMFARequired {
			err = httpx.MFARequired("sign in again with a second factor")
		}
	case http.StatusForbidden:
		err = httpx.Forbidden("your role may not do this")
	default:
		status = http.StatusNotFound
		err = httpx.NotFound("no such resource")
	}
	if g != nil && g.OnDenied != nil {
		g.OnDenied(r, status, reason)
	}
	if g != nil && g.Throttle != nil {
		if terr := g.Throttle(r); terr != nil {
			w.Header().Del("WWW-Authenticate")
			err = terr
		}
	}
	httpx.WriteError(w, r, err)
}

// Authenticate is middleware that lets a request through only with a valid
// bearer token, putting its Principal on the context; anything else is
// answered 401 unauthorized. Mount every non-public route under it.
func (g *Guard) Authenticate(v TokenVerifier) func(http.Handler) http.Handler {
	return g.authenticate(v, true)
}

// Optional is Authenticate for public routes: a request without an
// Authorization header goes through anonymous, one with a valid token goes
// through as its principal, and one with a bad token is answered 401 — a
// client that sends credentials should learn they no longer work.
func (g *Guard) Optional(v TokenVerifier) func(http.Handler) http.Handler {
	return g.authenticate(v, false)
}

func (g *Guard) authenticate(v TokenVerifier, required bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			header := r.Header.Get("Authorization")
			if header == "" && !required {
				next.ServeHTTP(w, r)
				return
			}
			token, ok := bearerToken(header)
			if !ok {
				g.Deny(w, r, http.StatusUnauthorized, ReasonUnauthorized)
				return
			}
			p, err := v.VerifyToken(r.Context(), token)
			if err != nil {
				reason := ReasonUnauthorized
				if errors.Is(err, ErrMFARequired) {
					reason = ReasonMFARequired
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="kabinet", error="invalid_token"`)
				g.Deny(w, r, http.StatusUnauthorized, reason)
				return
			}
			if !g.sessionActive(w, r, p) {
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// sessionActive applies Sessions to p; when p may not go on it answers
// (401 for an ended session, 500 when the check failed) and returns false.
func (g *Guard) sessionActive(w http.ResponseWriter, r *http.Request, p Principal) bool {
	if g == nil || g.Sessions == nil || p.SessionID == "" {
		return true
	}
	ok, err := g.Sessions.Active(r.Context(), p.SessionID)
	if err != nil {
		httpx.WriteError(w, r, fmt.Errorf("check session: %w", err))
		return false
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kabinet", error="invalid_token"`)
		g.Deny(w, r, http.StatusUnauthorized, ReasonSessionEnded)
		return false
	}
	return true
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// RequireRoles is middleware that lets through only principals with one of
// roles: 401 without a principal, 403 forbidden otherwise. A role check
// does not depend on any id, so 403 tells the caller nothing about what
// exists (docs/API.md, "Errors").
func (g *Guard) RequireRoles(roles ...Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := FromContext(r.Context())
			if !ok {
				g.Deny(w, r, http.StatusUnauthorized, ReasonUnauthorized)
				return
			}
			if !HasRole(p, roles...) {
				g.Deny(w, r, http.StatusForbidden, ReasonForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// AccountAccess applies CanAccessAccount to the request's principal and
// accountID. When it may not, it answers (401 without a principal, else
// DeniedStatus) and returns false; the handler then returns.
func (g *Guard) AccountAccess(w http.ResponseWriter, r *http.Request, accountID uuid.UUID, staffRoles ...Role) bool {
	p, ok := FromContext(r.Context())
	if !ok {
		g.Deny(w, r, http.StatusUnauthorized, ReasonUnauthorized)
		return false
	}
	if !CanAccessAccount(p, accountID, staffRoles...) {
		status := g.deniedStatus()
		reason := ReasonNotFound
		if status == http.StatusForbidden {
			reason = ReasonForbidden
		}
		g.Deny(w, r, status, reason)
		return false
	}
	return true
}

// Owner is AccountAccess for routes only the account's own citizen may use.
func (g *Guard) Owner(w http.ResponseWriter, r *http.Request, accountID uuid.UUID) bool {
	return g.AccountAccess(w, r, accountID)
}

// Authenticate is (*Guard)(nil).Authenticate: required bearer auth without
// a denial hook.
func Authenticate(v TokenVerifier) func(http.Handler) http.Handler {
	return (*Guard)(nil).Authenticate(v)
}

// Optional is (*Guard)(nil).Optional: optional bearer auth without a
// denial hook.
func Optional(v TokenVerifier) func(http.Handler) http.Handler {
	return (*Guard)(nil).Optional(v)
}

// RequireRoles is (*Guard)(nil).RequireRoles: a role check without a
// denial hook.
func RequireRoles(roles ...Role) func(http.Handler) http.Handler {
	return (*Guard)(nil).RequireRoles(roles...)
}
