package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/auth/oidctest"
)

const audience = "kabinet-api"

func newOIDC(t *testing.T, idp *oidctest.ProviderDouble, roleClaim string) *auth.OIDCVerifier {
	t.Helper()
	v, err := auth.NewOIDCVerifier(auth.OIDCConfig{Issuer: idp.Issuer(), Audience: audience, RoleClaim: roleClaim})
	require.NoError(t, err)
	return v
}

func TestOIDC_DiscoveryAndBothAlgorithmsGiveTheStaffPrincipal(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	v := newOIDC(t, idp, "")
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256} {
		p, err := v.VerifyToken(context.Background(), idp.Token(t, alg, idp.StaffClaims("op-1", "operator", audience)))
		require.NoError(t, err, alg)
		assert.Equal(t, auth.Principal{Subject: "op-1", Role: auth.RoleOperator}, p, alg)
	}
}

func TestOIDC_KeyRotationMidTest(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	v := newOIDC(t, idp, "")
	old := idp.Token(t, jose.RS256, idp.StaffClaims("op-1", "operator", audience))
	_, err := v.VerifyToken(context.Background(), old)
	require.NoError(t, err)
	fetches := idp.JWKSFetches.Load()

	// The provider rotates and withdraws the old keys: new tokens verify
	// (the unknown kid makes the verifier fetch the key set again), and
	// the withdrawn keys verify nothing once the key set has been read
	// again (the running verifier swaps its cache in the background just
	// after a fetch, so a fresh verifier shows it without a race).
	require.NoError(t, idp.Rotate(false))
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256} {
		_, err = v.VerifyToken(context.Background(), idp.Token(t, alg, idp.StaffClaims("op-2", "auditor", audience)))
		require.NoError(t, err, alg)
	}
	assert.Greater(t, idp.JWKSFetches.Load(), fetches, "the key set was fetched again")
	_, err = newOIDC(t, idp, "").VerifyToken(context.Background(), old)
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "a withdrawn key's token")
}

func TestOIDC_RefusesWrongAudienceIssuerExpiredAndForeignKeys(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	other := oidctest.NewProviderDouble(t)
	v := newOIDC(t, idp, "")
	claims := func(edit func(oidctest.Claims)) oidctest.Claims {
		c := idp.StaffClaims("op-1", "operator", audience)
		edit(c)
		return c
	}
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	cases := map[string]string{
		"wrong audience": idp.Token(t, jose.RS256, claims(func(c oidctest.Claims) { c["aud"] = "another-app" })),
		"wrong issuer":   idp.Token(t, jose.RS256, claims(func(c oidctest.Claims) { c["iss"] = other.Issuer() })),
		"expired": idp.Token(t, jose.ES256, claims(func(c oidctest.Claims) {
			c["exp"] = time.Now().Add(-time.Minute).Unix()
		})),
		"no exp":                   idp.Token(t, jose.ES256, claims(func(c oidctest.Claims) { delete(c, "exp") })),
		"another provider's token": other.Token(t, jose.RS256, other.StaffClaims("op-1", "operator", audience)),
		"unpublished key under a published kid": oidctest.SignWith(t, jose.RS256, stranger, "rsa-1",
			idp.StaffClaims("op-1", "operator", audience)),
		"citizen role": idp.Token(t, jose.RS256, claims(func(c oidctest.Claims) { c["kabinet_role"] = "citizen" })),
		"unknown role": idp.Token(t, jose.RS256, claims(func(c oidctest.Claims) { c["kabinet_role"] = "root" })),
		"no role":      idp.Token(t, jose.RS256, claims(func(c oidctest.Claims) { delete(c, "kabinet_role") })),
		"role as list": idp.Token(t, jose.RS256, claims(func(c oidctest.Claims) { c["kabinet_role"] = []string{"admin"} })),
		"no subject":   idp.Token(t, jose.RS256, claims(func(c oidctest.Claims) { delete(c, "sub") })),
		"garbage":      "not.a.token",
		"alg none":     unsigned(claims(func(oidctest.Claims) {})),
		"hs256 (alg confusion with the RSA public key)": hs256WithPublicKey(t, idp, claims(func(oidctest.Claims) {})),
	}
	for name, tok := range cases {
		_, err := v.VerifyToken(context.Background(), tok)
		assert.ErrorIs(t, err, auth.ErrInvalidToken, name)
		assert.NotErrorIs(t, err, auth.ErrMFARequired, name)
	}
	// Tokens from the other provider still verify against it: the refusals
	// above are about this verifier's issuer, not broken tokens.
	_, err = newOIDC(t, other, "").VerifyToken(context.Background(), cases["another provider's token"])
	assert.NoError(t, err)
}

func TestOIDC_SecondFactorRequired(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	v := newOIDC(t, idp, "")
	for name, amr := range map[string]any{"missing": nil, "password only": []string{"pwd"}, "empty": []string{}} {
		c := idp.StaffClaims("op-1", "operator", audience)
		if amr == nil {
			delete(c, "amr")
		} else {
			c["amr"] = amr
		}
		_, err := v.VerifyToken(context.Background(), idp.Token(t, jose.RS256, c))
		assert.ErrorIs(t, err, auth.ErrMFARequired, name)
		assert.ErrorIs(t, err, auth.ErrInvalidToken, name)
	}
	for _, m := range auth.SecondFactorMethods {
		c := idp.StaffClaims("op-1", "security", audience)
		c["amr"] = []string{"pwd", m}
		p, err := v.VerifyToken(context.Background(), idp.Token(t, jose.ES256, c))
		require.NoError(t, err, m)
		assert.Equal(t, auth.RoleSecurity, p.Role)
	}
}

func TestOIDC_RoleFromTheConfiguredClaim(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	v := newOIDC(t, idp, "groups_role")
	c := idp.StaffClaims("adm-1", "operator", audience)
	c["groups_role"] = "admin"
	p, err := v.VerifyToken(context.Background(), idp.Token(t, jose.RS256, c))
	require.NoError(t, err)
	assert.Equal(t, auth.RoleAdmin, p.Role, "kabinet_role is ignored when another claim is configured")
	delete(c, "groups_role")
	_, err = v.VerifyToken(context.Background(), idp.Token(t, jose.RS256, c))
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestOIDC_ConfigIsChecked(t *testing.T) {
	for name, c := range map[string]auth.OIDCConfig{
		"no scheme":   {Issuer: "idp.example", Audience: "a"},
		"ftp":         {Issuer: "ftp://idp.example", Audience: "a"},
		"no audience": {Issuer: "https://idp.example"},
	} {
		_, err := auth.NewOIDCVerifier(c)
		assert.Error(t, err, name)
	}
}

func TestOIDC_UnreachableProviderRefuses(t *testing.T) {
	v, err := auth.NewOIDCVerifier(auth.OIDCConfig{Issuer: "http://127.0.0.1:1", Audience: audience})
	require.NoError(t, err)
	_, err = v.VerifyToken(context.Background(), "a.b.c")
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
	assert.Error(t, v.Discover(context.Background()))
}

func TestStaffAndCitizens_OwnStaffTokensRefusedOnceAnIssuerIsSet(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	own := auth.NewVerifier(secret, nil)
	iss := &auth.Issuer{Secret: secret}
	account := uuid.New()
	citizen, err := iss.Mint(auth.Principal{Subject: account.String(), Role: auth.RoleCitizen, AccountID: account}, time.Hour)
	require.NoError(t, err)
	ownStaff, err := iss.Mint(auth.Principal{Subject: "op-dev", Role: auth.RoleOperator}, time.Hour)
	require.NoError(t, err)
	staff := idp.Token(t, jose.ES256, idp.StaffClaims("op-1", "operator", audience))

	dev := auth.StaffAndCitizens{Own: own}
	_, err = dev.VerifyToken(context.Background(), ownStaff)
	assert.NoError(t, err, "without an issuer (embedded development) Kabinet's staff tokens work")

	both := auth.StaffAndCitizens{Own: own, Staff: newOIDC(t, idp, "")}
	p, err := both.VerifyToken(context.Background(), citizen)
	require.NoError(t, err)
	assert.Equal(t, account, p.AccountID)
	p, err = both.VerifyToken(context.Background(), staff)
	require.NoError(t, err)
	assert.Equal(t, "op-1", p.Subject)
	_, err = both.VerifyToken(context.Background(), ownStaff)
	assert.ErrorIs(t, err, auth.ErrStaffTokenNotFromProvider)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)

	// An HS256 token that claims the provider's issuer, signed with the
	// shared secret, goes to the provider's verifier and fails there.
	forged := oidctest.SignWith(t, jose.HS256, secret, "", idp.StaffClaims("op-x", "admin", audience))
	_, err = both.VerifyToken(context.Background(), forged)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestGuard_StaffWithoutSecondFactorIs401MFARequired(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	var got []denial
	h := recordingGuard(&got).Authenticate(auth.StaffAndCitizens{
		Own: auth.NewVerifier([]byte("0123456789abcdef0123456789abcdef"), nil), Staff: newOIDC(t, idp, ""),
	})(whoami)
	c := idp.StaffClaims("op-1", "operator", audience)
	c["amr"] = []string{"pwd"}
	rec := serve(h, "Bearer "+idp.Token(t, jose.RS256, c))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "mfa_required", problemCode(t, rec))
	assert.Equal(t, []denial{{http.StatusUnauthorized, "mfa_required"}}, got)

	rec = serve(h, "Bearer "+idp.Token(t, jose.ES256, idp.StaffClaims("op-1", "operator", audience)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "op-1", rec.Body.String())
	c["aud"] = "other"
	rec = serve(h, "Bearer "+idp.Token(t, jose.RS256, c))
	assert.Equal(t, "unauthorized", problemCode(t, rec), "a token that does not verify is not an mfa problem")
}

// unsigned builds {"alg":"none"} over c.
func unsigned(c oidctest.Claims) string {
	enc := base64.RawURLEncoding.EncodeToString
	hdr, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": "rsa-1"})
	body, _ := json.Marshal(c)
	return enc(hdr) + "." + enc(body) + "."
}

// hs256WithPublicKey is the classic confusion attack: an HMAC over the
// token keyed with the provider's published RSA key bytes.
func hs256WithPublicKey(t *testing.T, idp *oidctest.ProviderDouble, c oidctest.Claims) string {
	der, err := x509.MarshalPKIXPublicKey(idp.PublicKey(jose.RS256))
	require.NoError(t, err)
	return oidctest.SignWith(t, jose.HS256, der, "rsa-1", c)
}

// BenchmarkVerifyToken compares the cost of checking a staff token from the
// provider (RS256, ES256; keys cached after the first fetch) with a
// Kabinet HS256 token, and the routing of StaffAndCitizens.
func BenchmarkVerifyToken(b *testing.B) {
	idp := oidctest.NewProviderDouble(b)
	v, err := auth.NewOIDCVerifier(auth.OIDCConfig{Issuer: idp.Issuer(), Audience: audience})
	require.NoError(b, err)
	secret := []byte("0123456789abcdef0123456789abcdef")
	account := uuid.New()
	citizen, err := (&auth.Issuer{Secret: secret}).Mint(auth.Principal{Subject: account.String(), Role: auth.RoleCitizen, AccountID: account}, time.Hour)
	require.NoError(b, err)
	both := auth.StaffAndCitizens{Own: auth.NewVerifier(secret, nil), Staff: v}
	cases := []struct {
		name  string
		v     auth.TokenVerifier
		token string
	}{
		{"oidc-rs256", v, idp.Token(b, jose.RS256, idp.StaffClaims("op-1", "operator", audience))},
		{"oidc-es256", v, idp.Token(b, jose.ES256, idp.StaffClaims("op-1", "operator", audience))},
		{"kabinet-hs256", auth.NewVerifier(secret, nil), citizen},
		{"staff-and-citizens-hs256", both, citizen},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if _, err := c.v.VerifyToken(ctx, c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
