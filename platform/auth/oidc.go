package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// DefaultRoleClaim is the claim of a staff token that names its role when
// KABINET_OIDC_ROLE_CLAIM is not set.
const DefaultRoleClaim = "kabinet_role"

// SecondFactorMethods are the amr values (RFC 8176) that prove a second
// factor; a staff token must carry at least one of them.
var SecondFactorMethods = []string{"mfa", "otp", "hwk", "sms"}

// StaffSigningAlgs are the only algorithms a staff token may be signed
// with: the provider's published RSA and ECDSA keys, never a shared secret.
var StaffSigningAlgs = []string{oidc.RS256, oidc.ES256}

// ErrMFARequired matches a staff token that verified but shows no second
// factor in its amr; the guard answers it 401 mfa_required. It also
// matches ErrInvalidToken.
var ErrMFARequired = errors.New("mfa_required")

// OIDCConfig says which identity provider's tokens a staff principal may
// present.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document lies
	// under /.well-known/openid-configuration.
	Issuer string
	// Audience must be among the token's aud.
	Audience string
	// RoleClaim names the claim carrying the staff role; "" means
	// DefaultRoleClaim.
	RoleClaim string
	// Clock tells the time for expiry; nil means time.Now.
	Clock func() time.Time
	// Client fetches the discovery document and keys; nil means a client
	// with a 10 s timeout.
	Client *http.Client
}

// OIDCVerifier checks staff tokens issued by an OpenID Connect provider:
// signature by the keys the provider publishes (fetched again when a token
// names a key not seen yet, so the provider may rotate them), issuer,
// audience, expiry, a staff role and a second factor. Discovery happens on
// first use and is retried until it succeeds, so the service starts while
// the provider is briefly down.
type OIDCVerifier struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

// NewOIDCVerifier checks cfg and returns a verifier; it contacts the
// provider only when the first token arrives (or Discover is called).
func NewOIDCVerifier(cfg OIDCConfig) (*OIDCVerifier, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oidc issuer %q is not an http(s) URL", cfg.Issuer)
	}
	if cfg.Audience == "" {
		return nil, errors.New("oidc audience is required with an issuer")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = DefaultRoleClaim
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	cfg.Clock = clockOrNow(cfg.Clock)
	return &OIDCVerifier{cfg: cfg}, nil
}

// Issuer is the provider's issuer URL, as configured.
func (o *OIDCVerifier) Issuer() string { return o.cfg.Issuer }

// Discover fetches the provider's discovery document now, if it has not
// been fetched yet.
func (o *OIDCVerifier) Discover(ctx context.Context) error {
	_, err := o.idTokenVerifier(ctx)
	return err
}

func (o *OIDCVerifier) idTokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, nil
	}
	// The provider keeps this context for fetching keys later: it must
	// outlive the request that happened to trigger discovery.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), o.cfg.Client)
	p, err := oidc.NewProvider(pctx, o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	o.verifier = p.Verifier(&oidc.Config{
		ClientID:             o.cfg.Audience,
		SupportedSigningAlgs: StaffSigningAlgs,
		Now:                  o.cfg.Clock,
	})
	return o.verifier, nil
}

// VerifyToken checks a staff token and returns its principal. Refusals
// match ErrInvalidToken; a token without a second factor also matches
// ErrMFARequired.
func (o *OIDCVerifier) VerifyToken(ctx context.Context, token string) (Principal, error) {
	p, _, err := o.verify(ctx, token)
	return p, err
}

// VerifyIDToken checks an ID token the provider's token endpoint answered
// at the end of the authorization code flow: the rules of VerifyToken
// (signature, issuer, audience, expiry, staff role, second factor) and
// that it carries nonce, the one the flow started with. It also returns
// when the token expires.
func (o *OIDCVerifier) VerifyIDToken(ctx context.Context, token, nonce string) (Principal, time.Time, error) {
	p, id, err := o.verify(ctx, token)
	if err != nil {
		return Principal{}, time.Time{}, err
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(nonce)) != 1 {
		return Principal{}, time.Time{}, fmt.Errorf("%w: the nonce is not the sign-in's", ErrInvalidToken)
	}
	return p, id.Expiry, nil
}

// Endpoint is the provider's authorization and token endpoints, from its
// discovery document (fetched now if it has not been yet).
func (o *OIDCVerifier) Endpoint(ctx context.Context) (oauth2.Endpoint, error) {
	if _, err := o.idTokenVerifier(ctx); err != nil {
		return oauth2.Endpoint{}, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.provider.Endpoint(), nil
}

// HTTPClient is the client the verifier talks to the provider with; the
// code exchange uses it too.
func (o *OIDCVerifier) HTTPClient() *http.Client { return o.cfg.Client }

func (o *OIDCVerifier) verify(ctx context.Context, token string) (Principal, *oidc.IDToken, error) {
	v, err := o.idTokenVerifier(ctx)
	if err != nil {
		return Principal{}, nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := v.Verify(ctx, token)
	if err != nil {
		return Principal{}, nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var raw map[string]json.RawMessage
	if err := id.Claims(&raw); err != nil {
		return Principal{}, nil, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	role, err := staffRole(raw[o.cfg.RoleClaim])
	if err != nil {
		return Principal{}, nil, fmt.Errorf("%w: claim %s: %w", ErrInvalidToken, o.cfg.RoleClaim, err)
	}
	p := Principal{Subject: id.Subject, Role: role}
	if err := checkPrincipal(p); err != nil {
		return Principal{}, nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var amr []string
	if b, ok := raw["amr"]; ok {
		if err := json.Unmarshal(b, &amr); err != nil {
			return Principal{}, nil, fmt.Errorf("%w: amr is not a list of strings", ErrInvalidToken)
		}
	}
	if !slices.ContainsFunc(amr, func(m string) bool { return slices.Contains(SecondFactorMethods, m) }) {
		return Principal{}, nil, fmt.Errorf("%w: %w: amr %q shows no second factor", ErrInvalidToken, ErrMFARequired, amr)
	}
	return p, id, nil
}

// staffRole reads a role claim: one string naming a staff role. A citizen
// role, an unknown name or anything but a string is refused: citizens never
// come from the staff identity provider.
func staffRole(b json.RawMessage) (Role, error) {
	if b == nil {
		return Role{}, errors.New("missing")
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Role{}, errors.New("not a string")
	}
	r, err := RoleFromString(s)
	if err != nil {
		return Role{}, err
	}
	if !r.IsStaff() {
		return Role{}, fmt.Errorf("%q is not a staff role", s)
	}
	return r, nil
}
