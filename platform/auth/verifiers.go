package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// TokenVerifier turns a bearer token into the principal it speaks for. Every
// refusal matches ErrInvalidToken. The guard takes any TokenVerifier, so
// session checks or another issuer can be layered over Verifier.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, token string) (Principal, error)
}

// VerifyToken implements TokenVerifier with Verify.
func (v *Verifier) VerifyToken(_ context.Context, token string) (Principal, error) {
	return v.Verify(token)
}

// ErrStaffTokenNotFromProvider matches a Kabinet-signed token with a staff
// role presented while staff must sign in through the identity provider.
var ErrStaffTokenNotFromProvider = errors.New("staff tokens must come from the identity provider")

// StaffAndCitizens accepts Kabinet's own tokens (citizens) and, when Staff
// is set, the identity provider's tokens (staff). A token whose unverified
// iss names the provider goes to Staff and nowhere else; any other goes to
// Own, and with Staff set a staff principal from Own is refused, so a
// token minted from the shared secret (kabinet token) cannot act as staff.
// Routing by an unverified claim is safe: each verifier checks iss again
// against its own keys, and neither accepts the other's algorithms.
type StaffAndCitizens struct {
	// Own checks Kabinet's HS256 tokens.
	Own TokenVerifier
	// Staff checks the provider's tokens; nil: none configured, and Own's
	// staff tokens are accepted (embedded development mode).
	Staff *OIDCVerifier
}

// VerifyToken implements TokenVerifier.
func (s StaffAndCitizens) VerifyToken(ctx context.Context, token string) (Principal, error) {
	if s.Staff == nil {
		return s.Own.VerifyToken(ctx, token)
	}
	if unverifiedIssuer(token) == s.Staff.Issuer() {
		return s.Staff.VerifyToken(ctx, token)
	}
	p, err := s.Own.VerifyToken(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	if p.Role.IsStaff() {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, ErrStaffTokenNotFromProvider)
	}
	return p, nil
}

// unverifiedIssuer reads a JWT's iss without checking anything (only its
// payload is decoded, and only iss from it); "" when the token does not
// parse.
func unverifiedIssuer(token string) string {
	_, rest, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	payload, _, ok := strings.Cut(rest, ".")
	if !ok {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.Issuer
}
