package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
)

type denial struct {
	status int
	reason string
}

// recordingGuard returns a guard whose denials are appended to *got.
func recordingGuard(got *[]denial) *auth.Guard {
	g := auth.NewGuard()
	g.OnDenied = func(_ *http.Request, status int, reason string) { *got = append(*got, denial{status, reason}) }
	return g
}

// whoami answers 200 with the principal's subject, or "anonymous".
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if p, ok := auth.FromContext(r.Context()); ok {
		w.Write([]byte(p.Subject))
		return
	}
	w.Write([]byte("anonymous"))
})

func serve(h http.Handler, authorization string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/v1/accounts/x/cabinet", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func problemCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	var p struct{ Code string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	return p.Code
}

func TestAuthenticate_NoTokenIs401WithChallenge(t *testing.T) {
	var denied []denial
	h := recordingGuard(&denied).Authenticate(verifier())(whoami)

	rec := serve(h, "")

	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `Bearer realm="kabinet"`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "unauthorized", problemCode(t, rec))
	assert.Equal(t, []denial{{401, "unauthorized"}}, denied)
}

func TestAuthenticate_BadTokensAre401(t *testing.T) {
	expired, err := (&auth.Issuer{Secret: secret, Clock: fixedClock(now.Add(-2 * time.Hour))}).Mint(operator(), time.Hour)
	require.NoError(t, err)
	for name, header := range map[string]string{
		"basic scheme":    "Basic b3A6cGFzcw==",
		"empty bearer":    "Bearer ",
		"no scheme":       mint(t, operator()),
		"malformed":       "Bearer abc.def",
		"expired":         "Bearer " + expired,
		"wrong signature": "Bearer " + handMade(t, jwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-long!!"), validClaims()),
		"alg none":        "Bearer " + b64s(`{"alg":"none"}`) + "." + b64s(`{"sub":"x","role":"admin","iss":"kabinet","exp":9999999999}`) + ".",
	} {
		t.Run(name, func(t *testing.T) {
			var denied []denial
			rec := serve(recordingGuard(&denied).Authenticate(verifier())(whoami), header)

			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
			assert.Equal(t, "unauthorized", problemCode(t, rec))
			assert.Len(t, denied, 1)
		})
	}
}

func TestAuthenticate_InvalidTokenSaysInvalidToken(t *testing.T) {
	rec := serve(auth.Authenticate(verifier())(whoami), "Bearer abc.def.ghi")

	assert.Equal(t, `Bearer realm="kabinet", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
}

func TestAuthenticate_ValidTokenPutsPrincipalOnContext(t *testing.T) {
	for _, scheme := range []string{"Bearer ", "bearer "} {
		rec := serve(auth.Authenticate(verifier())(whoami), scheme+mint(t, operator()))

		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "op-7", rec.Body.String())
	}
}

func TestOptional_AnonymousPassesValidAuthenticatesBadIs401(t *testing.T) {
	h := auth.Optional(verifier())(whoami)

	assert.Equal(t, "anonymous", serve(h, "").Body.String())
	assert.Equal(t, "op-7", serve(h, "Bearer "+mint(t, operator())).Body.String())
	assert.Equal(t, http.StatusUnauthorized, serve(h, "Bearer nonsense").Code)
}

func TestRequireRoles(t *testing.T) {
	var denied []denial
	g := recordingGuard(&denied)
	h := g.Authenticate(verifier())(g.RequireRoles(auth.RoleOperator, auth.RoleAdmin)(whoami))

	assert.Equal(t, http.StatusOK, serve(h, "Bearer "+mint(t, operator())).Code, "operator allowed")

	rec := serve(h, "Bearer "+mint(t, citizen()))
	assert.Equal(t, http.StatusForbidden, rec.Code, "citizen refused by role")
	assert.Equal(t, "forbidden", problemCode(t, rec))

	rec = serve(auth.RequireRoles(auth.RoleOperator)(whoami), "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "no principal at all")

	assert.Equal(t, []denial{{403, "forbidden"}}, denied)
}

// cabinet serves an account route that owners and operators may read.
func cabinet(g *auth.Guard, id uuid.UUID) http.Handler {
	return g.Authenticate(verifier())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.AccountAccess(w, r, id, auth.RoleOperator) {
			return
		}
		w.Write([]byte("cabinet"))
	}))
}

func TestAccountAccess_CitizenOnlyOwnAccount(t *testing.T) {
	var denied []denial
	g := recordingGuard(&denied)
	tok := "Bearer " + mint(t, citizen())

	assert.Equal(t, http.StatusOK, serve(cabinet(g, account), tok).Code)

	rec := serve(cabinet(g, other), tok)
	assert.Equal(t, http.StatusNotFound, rec.Code, "another account answers as if it did not exist")
	assert.Equal(t, "not_found", problemCode(t, rec))
	assert.Equal(t, []denial{{404, "not_found"}}, denied)
}

func TestAccountAccess_DeniedStatusMayBe403(t *testing.T) {
	var denied []denial
	g := recordingGuard(&denied)
	g.DeniedStatus = http.StatusForbidden

	rec := serve(cabinet(g, other), "Bearer "+mint(t, citizen()))

	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, "forbidden", problemCode(t, rec))
	assert.Equal(t, []denial{{403, "forbidden"}}, denied)
}

func TestAccountAccess_StaffByRole(t *testing.T) {
	g := auth.NewGuard()
	auditor := auth.Principal{Subject: "aud-1", Role: auth.RoleAuditor}

	assert.Equal(t, http.StatusOK, serve(cabinet(g, other), "Bearer "+mint(t, operator())).Code, "operator allowed where allowed")
	assert.Equal(t, http.StatusNotFound, serve(cabinet(g, other), "Bearer "+mint(t, auditor)).Code, "auditor not listed")
}

func TestAccountAccess_WithoutPrincipalIs401(t *testing.T) {
	rec := httptest.NewRecorder()
	ok := auth.NewGuard().AccountAccess(rec, httptest.NewRequest(http.MethodGet, "/", nil), account, auth.RoleOperator)

	assert.False(t, ok)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestOwner_StaffAreNotOwners(t *testing.T) {
	var g *auth.Guard // a nil guard works with defaults
	h := g.Authenticate(verifier())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.Owner(w, r, account) {
			w.Write([]byte("ok"))
		}
	}))

	assert.Equal(t, http.StatusOK, serve(h, "Bearer "+mint(t, citizen())).Code)
	assert.Equal(t, http.StatusNotFound, serve(h, "Bearer "+mint(t, operator())).Code)
}

func TestCanAccessAccount(t *testing.T) {
	admin := auth.Principal{Subject: "adm", Role: auth.RoleAdmin}
	for name, tc := range map[string]struct {
		p     auth.Principal
		id    uuid.UUID
		staff []auth.Role
		want  bool
	}{
		"citizen own":                     {citizen(), account, nil, true},
		"citizen other":                   {citizen(), other, nil, false},
		"citizen other, citizen as staff": {citizen(), other, []auth.Role{auth.RoleCitizen}, false},
		"citizen nil account":             {auth.Principal{Subject: "c", Role: auth.RoleCitizen}, uuid.Nil, nil, false},
		"operator listed":                 {operator(), other, []auth.Role{auth.RoleOperator}, true},
		"operator not listed":             {operator(), other, []auth.Role{auth.RoleAuditor}, false},
		"admin not listed":                {admin, other, []auth.Role{auth.RoleOperator}, false},
		"no role":                         {auth.Principal{Subject: "x"}, other, []auth.Role{{}}, false},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, auth.CanAccessAccount(tc.p, tc.id, tc.staff...))
		})
	}
}

func TestDeny_OtherStatusesAnswer404(t *testing.T) {
	var denied []denial
	rec := httptest.NewRecorder()

	recordingGuard(&denied).Deny(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusTeapot, "not_found")

	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Equal(t, []denial{{404, "not_found"}}, denied)
}

func TestThrottle_DenialsBeyondTheBudgetAre429AndStillReported(t *testing.T) {
	var got []denial
	g := recordingGuard(&got)
	budget := 2
	g.Throttle = func(*http.Request) error {
		if budget == 0 {
			return httpx.RateLimited("slow down", 7)
		}
		budget--
		return nil
	}
	h := g.Authenticate(auth.NewVerifier([]byte("0123456789abcdef0123456789abcdef"), time.Now))(whoami)
	for range 2 {
		rec := serve(h, "Bearer nonsense")
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
	}
	rec := serve(h, "Bearer nonsense")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "7", rec.Header().Get("Retry-After"))
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"), "a throttled answer says nothing about the token")
	assert.Len(t, got, 3, "the throttled denial is journaled like the others")
}
