package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
)

var (
	secret  = []byte("0123456789abcdef0123456789abcdef")
	now     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	account = uuid.MustParse("0190a5c4-1111-7000-8000-000000000001")
	other   = uuid.MustParse("0190a5c4-2222-7000-8000-000000000002")
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func issuer() *auth.Issuer { return &auth.Issuer{Secret: secret, Clock: fixedClock(now)} }

func verifier() *auth.Verifier { return auth.NewVerifier(secret, fixedClock(now)) }

func citizen() auth.Principal {
	return auth.Principal{Subject: account.String(), Role: auth.RoleCitizen, AccountID: account}
}

func operator() auth.Principal { return auth.Principal{Subject: "op-7", Role: auth.RoleOperator} }

func mint(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, err := issuer().Mint(p, time.Hour)
	require.NoError(t, err)
	return tok
}

// handMade signs claims with method and key, for tokens Mint would never make.
func handMade(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return tok
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": account.String(), "role": "citizen", "account_id": account.String(),
		"iss": "kabinet", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func TestMint_RoundTripsThroughVerify(t *testing.T) {
	for name, p := range map[string]auth.Principal{"citizen": citizen(), "operator": operator()} {
		t.Run(name, func(t *testing.T) {
			got, err := verifier().Verify(mint(t, p))
			require.NoError(t, err)
			assert.Equal(t, p, got)
		})
	}
}

func TestMint_WritesTheContractClaims(t *testing.T) {
	tok := mint(t, citizen())

	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	var header, payload map[string]any
	require.NoError(t, json.Unmarshal(b64(t, parts[0]), &header))
	require.NoError(t, json.Unmarshal(b64(t, parts[1]), &payload))
	assert.Equal(t, "HS256", header["alg"])
	assert.Equal(t, map[string]any{
		"sub": account.String(), "role": "citizen", "account_id": account.String(), "iss": "kabinet",
		"iat": float64(now.Unix()), "nbf": float64(now.Unix()), "exp": float64(now.Add(time.Hour).Unix()),
	}, payload)
}

func TestMint_StaffTokensCarryNoAccountID(t *testing.T) {
	parts := strings.Split(mint(t, operator()), ".")
	var payload map[string]any
	require.NoError(t, json.Unmarshal(b64(t, parts[1]), &payload))
	assert.NotContains(t, payload, "account_id")
}

func TestMint_RefusesWhatVerifyWouldRefuse(t *testing.T) {
	for name, tc := range map[string]struct {
		iss *auth.Issuer
		p   auth.Principal
		ttl time.Duration
	}{
		"short secret":            {&auth.Issuer{Secret: []byte("short")}, operator(), time.Hour},
		"no subject":              {issuer(), auth.Principal{Role: auth.RoleOperator}, time.Hour},
		"no role":                 {issuer(), auth.Principal{Subject: "x"}, time.Hour},
		"citizen without account": {issuer(), auth.Principal{Subject: "x", Role: auth.RoleCitizen}, time.Hour},
		"non-positive ttl":        {issuer(), operator(), 0},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.iss.Mint(tc.p, tc.ttl)
			assert.Error(t, err)
		})
	}
}

func TestVerify_RefusesBadTokens(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	without := func(key string) jwt.MapClaims { c := validClaims(); delete(c, key); return c }
	with := func(key string, v any) jwt.MapClaims { c := validClaims(); c[key] = v; return c }
	valid := mint(t, citizen())
	parts := strings.Split(valid, ".")

	for name, token := range map[string]string{
		"empty":                   "",
		"garbage":                 "not-a-token",
		"two parts":               parts[0] + "." + parts[1],
		"bad base64 header":       "!!!." + parts[1] + "." + parts[2],
		"header not json":         b64s("nope") + "." + parts[1] + "." + parts[2],
		"wrong signature":         handMade(t, jwt.SigningMethodHS256, []byte("another-secret-of-32-bytes-long!!"), validClaims()),
		"tampered payload":        parts[0] + "." + b64s(`{"sub":"x","role":"admin","iss":"kabinet","exp":9999999999}`) + "." + parts[2],
		"alg none":                b64s(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".",
		"alg none with signature": b64s(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "." + parts[2],
		"alg None capitalised":    b64s(`{"alg":"None","typ":"JWT"}`) + "." + parts[1] + ".",
		"HS512 same secret":       handMade(t, jwt.SigningMethodHS512, secret, validClaims()),
		"HS384 same secret":       handMade(t, jwt.SigningMethodHS384, secret, validClaims()),
		"RS256":                   handMade(t, jwt.SigningMethodRS256, rsaKey, validClaims()),
		"expired":                 handMade(t, jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Minute).Unix())),
		"no exp":                  handMade(t, jwt.SigningMethodHS256, secret, without("exp")),
		"not yet valid":           handMade(t, jwt.SigningMethodHS256, secret, with("nbf", now.Add(time.Hour).Unix())),
		"no iss":                  handMade(t, jwt.SigningMethodHS256, secret, without("iss")),
		"wrong iss":               handMade(t, jwt.SigningMethodHS256, secret, with("iss", "gosuslugi")),
		"unknown role":            handMade(t, jwt.SigningMethodHS256, secret, with("role", "root")),
		"no role":                 handMade(t, jwt.SigningMethodHS256, secret, without("role")),
		"no subject":              handMade(t, jwt.SigningMethodHS256, secret, without("sub")),
		"citizen without account": handMade(t, jwt.SigningMethodHS256, secret, without("account_id")),
		"account not a uuid":      handMade(t, jwt.SigningMethodHS256, secret, with("account_id", "42")),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := verifier().Verify(token)
			assert.ErrorIs(t, err, auth.ErrInvalidToken)
		})
	}
}

func TestVerify_ExpiryAllowsClockSkewOnly(t *testing.T) {
	tok := mint(t, operator())

	_, err := auth.NewVerifier(secret, fixedClock(now.Add(time.Hour+auth.ClockSkew/2))).Verify(tok)
	assert.NoError(t, err, "within the skew another instance's clock may be ahead")

	_, err = auth.NewVerifier(secret, fixedClock(now.Add(time.Hour+auth.ClockSkew+time.Second))).Verify(tok)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestVerify_NeedsAUsableSecret(t *testing.T) {
	_, err := auth.NewVerifier(nil, nil).Verify(mint(t, operator()))
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestRoleFromString(t *testing.T) {
	for _, name := range []string{"citizen", "operator", "auditor", "security", "admin"} {
		r, err := auth.RoleFromString(name)
		require.NoError(t, err)
		assert.Equal(t, name, r.String())
		assert.False(t, r.IsZero())
	}
	for _, name := range []string{"", "Admin", "root", " citizen"} {
		r, err := auth.RoleFromString(name)
		assert.Error(t, err, name)
		assert.True(t, r.IsZero())
	}
	assert.False(t, auth.RoleCitizen.IsStaff())
	assert.True(t, auth.RoleAuditor.IsStaff())
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

func b64s(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// A verifier remembers tokens it has checked; the time window is checked
// again on every use, so a remembered token still expires, and a token
// that is not yet valid is refused until its time comes, then accepted.
func TestVerify_RemembersATokenButNotPastItsWindow(t *testing.T) {
	tok := mint(t, operator())
	at := now
	v := auth.NewVerifier(secret, func() time.Time { return at })

	p, err := v.Verify(tok)
	require.NoError(t, err)
	again, err := v.Verify(tok)
	require.NoError(t, err)
	assert.Equal(t, p, again)

	at = now.Add(time.Hour + auth.ClockSkew + time.Second)
	_, err = v.Verify(tok)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "a remembered token expires as any other")

	at = now.Add(-auth.ClockSkew - time.Second)
	_, err = v.Verify(tok)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "before nbf (less the skew) it is not valid yet")

	at = now
	_, err = v.Verify(tok)
	assert.NoError(t, err)

	tampered := tok[:len(tok)-2] + "AA"
	if tampered == tok {
		tampered = tok[:len(tok)-2] + "BB"
	}
	_, err = v.Verify(tampered)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "only the very same string is remembered")
}
