package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/auth/oidctest"
)

// TestStaff_ThroughTheIdentityProvider runs the real router with an OIDC
// issuer configured: the provider's staff tokens work, Kabinet-signed staff
// tokens do not, citizens' own tokens still do.
func TestStaff_ThroughTheIdentityProvider(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	ts := startServer(t, map[string]string{"oidc-issuer": idp.Issuer(), "oidc-audience": "kabinet"})
	id, citizen := ts.register("+79120007001")
	cabinet := "/v1/accounts/" + id + "/cabinet"
	require.Eventually(t, func() bool { return ts.do("GET", cabinet, citizen, nil).status == 200 }, 5*time.Second, 20*time.Millisecond)

	op := idp.Token(t, jose.ES256, idp.StaffClaims("op-oidc", "operator", "kabinet"))
	assert.Equal(t, http.StatusOK, ts.do("GET", cabinet, op, nil).status, "operator from the provider")

	aud := idp.Token(t, jose.RS256, idp.StaffClaims("aud-oidc", "auditor", "kabinet"))
	hist := ts.do("GET", "/v1/accounts/"+id+"/history", aud, nil)
	require.Equal(t, http.StatusOK, hist.status, string(hist.raw))

	require.NoError(t, idp.Rotate(false))
	op2 := idp.Token(t, jose.RS256, idp.StaffClaims("op-rotated", "operator", "kabinet"))
	assert.Equal(t, http.StatusOK, ts.do("GET", cabinet, op2, nil).status, "after a key rotation")

	noMFA := idp.StaffClaims("op-oidc", "operator", "kabinet")
	noMFA["amr"] = []string{"pwd"}
	a := ts.do("GET", cabinet, idp.Token(t, jose.RS256, noMFA), nil)
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Equal(t, "mfa_required", a.body["code"])
	assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"))

	wrongAud := idp.Token(t, jose.RS256, idp.StaffClaims("op-oidc", "operator", "another"))
	assert.Equal(t, http.StatusUnauthorized, ts.do("GET", cabinet, wrongAud, nil).status)

	dev, err := ts.app.Issuer.Mint(auth.Principal{Subject: "op-dev", Role: auth.RoleOperator}, time.Hour)
	require.NoError(t, err)
	a = ts.do("GET", cabinet, dev, nil)
	assert.Equal(t, http.StatusUnauthorized, a.status, "a staff token from the shared secret")
	assert.Equal(t, "unauthorized", a.body["code"])
}

func TestStaff_AudienceRequiredWithAnIssuer(t *testing.T) {
	_, _, err := parseConfig("serve", []string{"--oidc-issuer", "https://idp.example"})
	assert.ErrorContains(t, err, "oidc-audience is required")
}

func TestTokenCommand_OnlyInEmbeddedDevelopmentMode(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	t.Setenv("KABINET_OIDC_ISSUER", "https://idp.example")
	err := run(context.Background(), []string{"token", "--data-dir", dir, "--role", "operator", "--sub", "op-1"}, &out, io.Discard)
	assert.ErrorContains(t, err, "only in embedded development mode")
	assert.Empty(t, out.String(), "no token printed")
}

func TestTokenCommand_TTLCappedAt12Hours(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	args := func(ttl string) []string {
		return []string{"token", "--data-dir", dir, "--role", "admin", "--sub", "adm-1", "--ttl", ttl}
	}
	for _, ttl := range []string{"12h1s", "24h", "0s", "-1h"} {
		err := run(context.Background(), args(ttl), &out, io.Discard)
		assert.ErrorContains(t, err, "--ttl must be positive and at most 12h0m0s", ttl)
	}
	assert.Empty(t, out.String())
	require.NoError(t, run(context.Background(), args("12h"), &out, io.Discard))
	assert.NotEmpty(t, out.String())
}
