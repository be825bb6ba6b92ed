// Package signin is how a citizen signs in (docs/DOMAIN.md §10): passwords
// hashed with Argon2id, a second factor by a one-time code or an
// authenticator app, a lock after repeated failures, recovery by a code,
// and sessions with short access tokens and rotating refresh tokens. Its
// secrets live in write-side tables of the read store, never in events;
// the account's stream records only that a password was set or an
// authenticator enrolled.
package signin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// The limits of docs/DOMAIN.md §10.
const (
	// AccessTTL is an access token's lifetime.
	AccessTTL = 15 * time.Minute
	// IdleLimit ends a session not used for that long.
	IdleLimit = 30 * time.Minute
	// AbsoluteLimit ends a session that long after sign-in.
	AbsoluteLimit = 12 * time.Hour
	// MaxFailures wrong passwords in a row lock sign-in for LockDuration.
	MaxFailures = 5
	// LockDuration is how long sign-in stays locked.
	LockDuration = 30 * time.Minute
	// CacheFor is the longest an instance trusts what it last read of a
	// session; a session ended elsewhere is refused here within it.
	CacheFor = time.Second
	// MaxUserAgent bounds the user agent kept with a session (bytes).
	MaxUserAgent = httpx.MaxUserAgentBytes
)

// Config are the service's dependencies.
type Config struct {
	DB        *sqldb.DB // the read store
	Repo      *commands.Repository
	Claims    *commands.ContactClaims
	Notifier  delivery.Notifier
	CodeLimit commands.CodeLimiter
	Issuer    *auth.Issuer
	Hasher    *Hasher
	Key       []byte // keys code hashes
	Clock     func() time.Time
	Random    io.Reader
	NewID     func() uuid.UUID
	// NoCache turns the session cache off (benchmarks of the bare check).
	NoCache bool
}

// Service holds the credentials and sessions of every citizen.
type Service struct {
	c     Config
	seal  sealer
	mu    sync.Mutex
	cache map[string]cachedSession
	swept time.Time // when entries past CacheFor were last let go
}

type cachedSession struct {
	active bool
	at     time.Time
}

// fresh reports whether what was read at c.at may still be trusted at now:
// read CacheFor ago at most, and not in what is now the future.
func (c cachedSession) fresh(now time.Time) bool {
	return now.Sub(c.at) < CacheFor && !now.Before(c.at)
}

// New creates the tables if needed and returns the service.
func New(ctx context.Context, c Config) (*Service, error) {
	if c.DB == nil || c.Repo == nil || c.Claims == nil || c.Notifier == nil || c.CodeLimit == nil ||
		c.Issuer == nil || c.Hasher == nil || len(c.Key) == 0 || c.Clock == nil || c.Random == nil || c.NewID == nil {
		panic("signin.New: nil dependency")
	}
	seal, err := newSealer(c.Key)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, c.DB); err != nil {
		return nil, err
	}
	return &Service{c: c, seal: seal, cache: map[string]cachedSession{}}, nil
}

func (s *Service) now() time.Time { return s.c.Clock().UTC() }

// codeHash is the keyed hash of a one-time code bound to its challenge.
func (s *Service) codeHash(challengeID, code string) string {
	m := hmac.New(sha256.New, s.c.Key)
	m.Write([]byte("signin|" + challengeID + "|" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// login is a sign-in name resolved to the account holding it confirmed.
type login struct {
	channel domain.Channel
	value   string // normalised
	account uuid.UUID
}

// resolve normalises raw like the contact rules (an email is lower-cased, a
// phone becomes E.164) and finds the account on which it is confirmed;
// account is uuid.Nil when none is.
func (s *Service) resolve(ctx context.Context, raw string) (login, error) {
	l := login{channel: domain.ChannelPhone}
	if strings.Contains(raw, "@") {
		l.channel = domain.ChannelEmail
	}
	key := domain.ContactKey(l.channel, raw)
	l.value = strings.TrimPrefix(key, l.channel.String()+":")
	if len(raw) > 320 {
		return l, nil
	}
	owner, err := s.c.Claims.Owner(ctx, key)
	if err != nil {
		return l, fmt.Errorf("resolve login: %w", err)
	}
	l.account = owner
	return l, nil
}

// loadCredential returns the credential row of key (an account id, or
// "login:<keyed hash>" for a login that names no account); ok is false
// when there is none.
func (s *Service) loadCredential(ctx context.Context, key string) (credential, bool, error) {
	var c credential
	err := s.c.DB.NewSelect().Model(&c).Where("account_id = ?", key).Scan(ctx)
	if isNoRows(err) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("load credential: %w", err)
	}
	return c, true, nil
}

// mask hides most of a contact: +7 912 ***-**-89, p***@example.com.
func mask(ch domain.Channel, v string) string {
	if ch == domain.ChannelEmail {
		local, host, _ := strings.Cut(v, "@")
		if local == "" {
			return "***@" + host
		}
		return local[:1] + "***@" + host
	}
	if len(v) < 6 {
		return "***"
	}
	return v[:5] + strings.Repeat("*", len(v)-7) + v[len(v)-2:]
}

// notifyChannel is the notifier's channel for a contact channel.
func notifyChannel(ch domain.Channel) string {
	if ch == domain.ChannelEmail {
		return "email"
	}
	return "sms"
}

// codeTTL is how long a code to ch stays valid (docs/DOMAIN.md §2).
func codeTTL(ch domain.Channel) time.Duration {
	if ch == domain.ChannelEmail {
		return domain.EmailCodeTTL
	}
	return domain.PhoneCodeTTL
}

func invalidCredentials() error {
	return domain.NewError(domain.CodeInvalidCredentials, "the login or the password is wrong")
}
