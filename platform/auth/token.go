package auth

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// TokenIssuer is the iss of every Kabinet token.
const TokenIssuer = "kabinet"

// ClockSkew is how far the clocks of two instances may disagree when one
// checks a token the other minted (exp and nbf).
const ClockSkew = 30 * time.Second

// MinSecretBytes is the shortest HMAC secret accepted: HS256 wants a key at
// least as long as its 256-bit output.
const MinSecretBytes = 32

// ErrInvalidToken matches every reason Verify refuses a token.
var ErrInvalidToken = errors.New("invalid token")

type claims struct {
	Role      string `json:"role"`
	AccountID string `json:"account_id,omitempty"`
	SessionID string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// Issuer mints tokens signed with HS256 and Secret.
type Issuer struct {
	Secret []byte
	// Clock tells the time; nil means time.Now.
	Clock func() time.Time
}

// Mint signs a token for p that expires after ttl, with claims sub, role,
// account_id (citizens), sid and jti (when p carries them), iat, nbf, exp
// and iss "kabinet".
func (i *Issuer) Mint(p Principal, ttl time.Duration) (string, error) {
	if len(i.Secret) < MinSecretBytes {
		return "", fmt.Errorf("mint token: secret shorter than %d bytes", MinSecretBytes)
	}
	if err := checkPrincipal(p); err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("mint token: ttl %s is not positive", ttl)
	}
	now := clockOrNow(i.Clock)().UTC().Truncate(time.Second)
	c := claims{
		Role:      p.Role.String(),
		SessionID: p.SessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        p.TokenID,
			Issuer:    TokenIssuer,
			Subject:   p.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	if p.AccountID != uuid.Nil {
		c.AccountID = p.AccountID.String()
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.Secret)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return tok, nil
}

// Verifier checks tokens minted by an Issuer with the same secret.
type Verifier struct {
	secret []byte
	parser *jwt.Parser
	now    func() time.Time
	// verified remembers tokens whose signature and claims were checked:
	// a token is a fixed string, so its signature and principal never
	// change, and only its time window (exp, nbf) is checked again on each
	// use. Clients send the same token with every request; checking the
	// HMAC and decoding the claims each time cost more than the rest of a
	// cached read. Bounded by verifiedMax; emptied when full.
	mu       sync.RWMutex
	verified map[string]verifiedToken
}

// verifiedMax bounds how many verified tokens a Verifier remembers.
const verifiedMax = 16384

// verifiedToken is a checked token's principal and time window.
type verifiedToken struct {
	p        Principal
	nbf, exp time.Time // nbf zero: none
}

// valid mirrors the parser's time checks (with ClockSkew of leeway): exp
// strictly in the future, nbf not in the future.
func (t verifiedToken) valid(now time.Time) bool {
	return now.Before(t.exp.Add(ClockSkew)) && (t.nbf.IsZero() || !now.Before(t.nbf.Add(-ClockSkew)))
}

// NewVerifier builds a verifier for secret; clock nil means time.Now. It
// accepts HS256 only (no alg none, no other HMAC, no RSA/EC key confusion),
// requires exp, checks iss and allows ClockSkew of leeway.
func NewVerifier(secret []byte, clock func() time.Time) *Verifier {
	return &Verifier{
		secret:   secret,
		now:      clockOrNow(clock),
		verified: make(map[string]verifiedToken),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuer(TokenIssuer),
			jwt.WithLeeway(ClockSkew),
			jwt.WithTimeFunc(clockOrNow(clock)),
		),
	}
}

// Verify checks token and returns its principal. Every refusal matches
// ErrInvalidToken; the wrapped cause is for logs, not for the client.
func (v *Verifier) Verify(token string) (Principal, error) {
	if len(v.secret) < MinSecretBytes {
		return Principal{}, fmt.Errorf("%w: verifier has no usable secret", ErrInvalidToken)
	}
	v.mu.RLock()
	t, ok := v.verified[token]
	v.mu.RUnlock()
	if ok && t.valid(v.now()) {
		return t.p, nil
	}
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		// WithValidMethods already refuses other algorithms; checking the
		// type too keeps the key from ever meeting a non-HMAC method.
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
		}
		return v.secret, nil
	})
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	p, err := principalOf(c)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.ExpiresAt != nil { // required by the parser
		t := verifiedToken{p: p, exp: c.ExpiresAt.Time}
		if c.NotBefore != nil {
			t.nbf = c.NotBefore.Time
		}
		v.mu.Lock()
		if len(v.verified) >= verifiedMax {
			clear(v.verified)
		}
		v.verified[token] = t
		v.mu.Unlock()
	}
	return p, nil
}

func principalOf(c claims) (Principal, error) {
	role, err := RoleFromString(c.Role)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Subject: c.Subject, Role: role, SessionID: c.SessionID, TokenID: c.ID}
	if c.AccountID != "" {
		if p.AccountID, err = uuid.Parse(c.AccountID); err != nil {
			return Principal{}, fmt.Errorf("account_id: %w", err)
		}
	}
	if err := checkPrincipal(p); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// checkPrincipal holds for every principal a token may carry.
func checkPrincipal(p Principal) error {
	switch {
	case p.Subject == "":
		return errors.New("subject is empty")
	case p.Role.IsZero():
		return errors.New("role is missing")
	case p.Role == RoleCitizen && p.AccountID == uuid.Nil:
		return errors.New("a citizen token must carry account_id")
	}
	return nil
}

func clockOrNow(clock func() time.Time) func() time.Time {
	if clock == nil {
		return time.Now
	}
	return clock
}
