// Package oidctest is a test double of an OpenID Connect identity provider:
// an httptest server publishing a discovery document and a JWKS with one
// RS256 and one ES256 key, minting tokens with them, and rotating them on
// demand. Tests use it to check Kabinet's staff sign-in against real
// signatures and real HTTP; nothing in production imports it.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ProviderDouble is the in-process identity provider. It is safe for
// concurrent use.
type ProviderDouble struct {
	server *httptest.Server
	// JWKSFetches counts the requests for the key set.
	JWKSFetches atomic.Int64

	mu         sync.Mutex
	generation int
	keys       map[jose.SignatureAlgorithm]jose.JSONWebKey // private, current
	published  []jose.JSONWebKey                           // public, in the JWKS
	next       Claims                                      // who the authorization endpoint signs in
	grants     map[string]grant                            // codes not yet redeemed
}

// NewProviderDouble starts the provider; it stops with the test.
func NewProviderDouble(t testing.TB) *ProviderDouble {
	t.Helper()
	p := &ProviderDouble{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.server = httptest.NewServer(mux)
	t.Cleanup(p.server.Close)
	if err := p.Rotate(false); err != nil {
		t.Fatalf("oidctest: keys: %v", err)
	}
	return p
}

// Issuer is the provider's issuer URL.
func (p *ProviderDouble) Issuer() string { return p.server.URL }

// Rotate makes new RS256 and ES256 keys current. With keepOld the old
// public keys stay published (a graceful rotation); without, only the new
// ones are, so tokens signed by the old keys stop verifying.
func (p *ProviderDouble) Rotate(keepOld bool) error {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("rsa key: %w", err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("ec key: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.generation++
	p.keys = map[jose.SignatureAlgorithm]jose.JSONWebKey{
		jose.RS256: {Key: rsaKey, KeyID: fmt.Sprintf("rsa-%d", p.generation), Algorithm: string(jose.RS256), Use: "sig"},
		jose.ES256: {Key: ecKey, KeyID: fmt.Sprintf("ec-%d", p.generation), Algorithm: string(jose.ES256), Use: "sig"},
	}
	if !keepOld {
		p.published = nil
	}
	for _, k := range p.keys {
		p.published = append(p.published, k.Public())
	}
	return nil
}

// Claims are a token's claims; Token fills iss, iat and exp when absent.
type Claims map[string]any

// StaffClaims are the claims of a valid staff token for sub with role,
// for audience, with a second factor (amr ["pwd","otp"]), valid an hour.
func (p *ProviderDouble) StaffClaims(sub, role, audience string) Claims {
	now := time.Now()
	return Claims{
		"iss": p.Issuer(), "sub": sub, "aud": audience, "kabinet_role": role,
		"amr": []string{"pwd", "otp"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// Token signs c with the current key of alg (jose.RS256 or jose.ES256).
func (p *ProviderDouble) Token(t testing.TB, alg jose.SignatureAlgorithm, c Claims) string {
	t.Helper()
	p.mu.Lock()
	k, ok := p.keys[alg]
	p.mu.Unlock()
	if !ok {
		t.Fatalf("oidctest: no %s key", alg)
	}
	return SignWith(t, alg, k.Key, k.KeyID, c)
}

// SignWith signs c with key (any key go-jose takes: *rsa.PrivateKey,
// *ecdsa.PrivateKey, []byte for HMAC) under kid; tests use it for tokens
// the provider would never issue.
func SignWith(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, c Claims) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("oidctest: signer: %v", err)
	}
	tok, err := jwt.Signed(s).Claims(map[string]any(c)).Serialize()
	if err != nil {
		t.Fatalf("oidctest: sign: %v", err)
	}
	return tok
}

// PublicKey returns the current public key of alg, as published.
func (p *ProviderDouble) PublicKey(alg jose.SignatureAlgorithm) crypto.PublicKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := p.keys[alg]
	return k.Public().Key
}

func (p *ProviderDouble) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                p.Issuer(),
		"authorization_endpoint":                p.Issuer() + "/authorize",
		"token_endpoint":                        p.Issuer() + "/token",
		"jwks_uri":                              p.Issuer() + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
	})
}

func (p *ProviderDouble) jwks(w http.ResponseWriter, _ *http.Request) {
	p.JWKSFetches.Add(1)
	p.mu.Lock()
	set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), p.published...)}
	p.mu.Unlock()
	writeJSON(w, set)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
