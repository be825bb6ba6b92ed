package signin

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

var (
	domainPhone = domain.ChannelPhone
	domainEmail = domain.ChannelEmail
)

// outbox keeps every notification, as the outbox file does.
type outbox struct {
	mu   sync.Mutex
	sent []delivery.Notification
}

func (o *outbox) Notify(_ context.Context, n delivery.Notification) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, n)
	return nil
}

func (o *outbox) last() delivery.Notification {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent[len(o.sent)-1]
}

// fixture is the write side and a sign-in service over one database.
type fixture struct {
	deps   commands.Deps
	db     *sqldb.DB
	outbox *outbox
	key    []byte
}

func newFixture(t testing.TB, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	key := []byte(strings.Repeat("k", 32))
	hasher, err := domain.NewHMACCodeHasher(key)
	require.NoError(t, err)
	newID := func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	f := &fixture{db: db, outbox: &outbox{}, key: key}
	f.deps = commands.Deps{
		Repo: commands.NewRepository(store, newID), Claims: commands.NewContactClaims(store, key, newID),
		Notifier: f.outbox, Clock: func() time.Time { return time.Now().UTC() }, Random: rand.Reader, Hasher: hasher, NewID: newID,
	}
	f.deps.CodeLimit, err = commands.NewCodeLimit(ctx, db, key, f.deps.Clock)
	require.NoError(t, err)
	return f
}

func (f *fixture) service(t testing.TB, params Params) *Service {
	t.Helper()
	s, err := New(context.Background(), Config{
		DB: f.db, Repo: f.deps.Repo, Claims: f.deps.Claims, Notifier: f.outbox, CodeLimit: f.deps.CodeLimit,
		Issuer: &auth.Issuer{Secret: f.key}, Hasher: NewHasher(params, 1), Key: f.key,
		Clock: f.deps.Clock, Random: rand.Reader, NewID: f.deps.NewID,
	})
	require.NoError(t, err)
	return s
}

// confirmedAccount registers an account with phone and confirms it.
func (f *fixture) confirmedAccount(t *testing.T, phone string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	res, err := commands.NewRegisterAccountHandler(f.deps).Handle(ctx, commands.RegisterAccount{Registration: domain.Registration{
		Surname: "Ли", GivenNames: "Вэй", Citizenship: "CN", Phone: phone, Consent: domain.CurrentConsent()}})
	require.NoError(t, err)
	_, err = commands.NewRequestContactCodeHandler(f.deps).Handle(ctx, commands.RequestContactCode{AccountID: res.AccountID, Channel: domain.ChannelPhone})
	require.NoError(t, err)
	_, err = commands.NewConfirmContactHandler(f.deps).Handle(ctx, commands.ConfirmContact{AccountID: res.AccountID, Channel: domain.ChannelPhone, Code: f.outbox.last().Code})
	require.NoError(t, err)
	return res.AccountID
}

func storedHash(t *testing.T, db *sqldb.DB, account uuid.UUID) string {
	t.Helper()
	var c credential
	require.NoError(t, db.NewSelect().Model(&c).Where("account_id = ?", account.String()).Scan(context.Background()))
	return c.PasswordHash
}

func TestSignIn_RehashesWhenTheParametersWereRaised(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		id := f.confirmedAccount(t, "+79163330001")
		_, err := f.service(t, cheap).SetPassword(ctx, id, "violet-lamp-1987", "")
		require.NoError(t, err)
		require.Contains(t, storedHash(t, db, id), "$m=64,t=1,p=1$")

		raised := f.service(t, OWASPParams)
		_, _, err = raised.SignIn(ctx, "+79163330001", "violet-lamp-1987", "test")
		require.NoError(t, err)
		assert.Contains(t, storedHash(t, db, id), "$m=19456,t=2,p=1$", "the hash was remade with today's parameters")
		_, _, err = raised.SignIn(ctx, "+79163330001", "violet-lamp-1987", "test")
		assert.NoError(t, err, "and still verifies")
	})
}

func TestStore_KeepsNoSecretInClear(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		s := f.service(t, cheap)
		id := f.confirmedAccount(t, "+79163330002")
		_, err := s.SetPassword(ctx, id, "violet-lamp-1987", "")
		require.NoError(t, err)
		ch, _, err := s.SignIn(ctx, "+79163330002", "violet-lamp-1987", "test")
		require.NoError(t, err)
		code := f.outbox.last().Code
		tok, _, err := s.Complete(ctx, ch.ID, code, "test")
		require.NoError(t, err)
		enr, err := s.StartTotp(ctx, id)
		require.NoError(t, err)
		totpCode, err := totp.GenerateCode(enr.Secret, time.Now())
		require.NoError(t, err)
		_, err = s.ConfirmTotp(ctx, id, totpCode)
		require.NoError(t, err)

		var dump []string
		for _, table := range []string{"signin_credentials", "signin_challenges", "signin_sessions", "signin_refresh_tokens"} {
			var rows []map[string]any
			require.NoError(t, db.NewSelect().Table(table).Scan(ctx, &rows))
			for _, r := range rows {
				for _, v := range r {
					if s, ok := v.(string); ok {
						dump = append(dump, s)
					}
				}
			}
		}
		all := strings.Join(dump, "\n")
		assert.NotContains(t, all, "violet-lamp-1987")
		assert.NotContains(t, all, enr.Secret, "authenticator secrets are sealed")
		assert.NotContains(t, all, tok.RefreshToken, "refresh tokens are stored only as hashes")
		assert.Contains(t, all, hashRefresh(tok.RefreshToken))
		for _, line := range dump {
			assert.NotEqual(t, code, line, "codes are stored only as hashes")
		}
	})
}

func TestEndAll_EndsEverySessionOfTheAccount(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		s := f.service(t, cheap)
		id, other := uuid.New(), uuid.New()
		a, err := s.Open(ctx, id, "a")
		require.NoError(t, err)
		b, err := s.Open(ctx, id, "b")
		require.NoError(t, err)
		c, err := s.Open(ctx, other, "c")
		require.NoError(t, err)
		require.NoError(t, s.EndAll(ctx, id))
		for sid, want := range map[string]bool{a.SessionID: false, b.SessionID: false, c.SessionID: true} {
			got, err := s.Active(ctx, sid)
			require.NoError(t, err)
			assert.Equal(t, want, got, sid)
		}
		_, _, err = s.Refresh(ctx, a.RefreshToken)
		assert.ErrorIs(t, err, &domain.Error{Code: domain.CodeRefreshInvalid})
	})
}

func TestActive_UnknownSessionIsNotActive(t *testing.T) {
	f := newFixture(t, sqltest.SQLite(t))
	ok, err := f.service(t, cheap).Active(context.Background(), uuid.NewString())
	require.NoError(t, err)
	assert.False(t, ok)
}

// Sessions opened while the file's writer is busy are committed together,
// and each is a session of its own that can be refreshed.
func TestOpen_SessionsOpenedTogetherShareATransaction(t *testing.T) {
	db := sqltest.SQLite(t)
	f := newFixture(t, db)
	s := f.service(t, cheap)
	release := sqltest.HoldWriter(t, db)
	toks := make([]commands.SessionTokens, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range toks {
		wg.Go(func() { toks[i], errs[i] = s.Open(context.Background(), uuid.New(), "agent") })
	}
	time.Sleep(300 * time.Millisecond) // all eight wait for the writer
	release()
	wg.Wait()
	seen := map[string]bool{}
	for i := range toks {
		require.NoError(t, errs[i])
		require.False(t, seen[toks[i].SessionID])
		seen[toks[i].SessionID] = true
		_, _, err := s.Refresh(context.Background(), toks[i].RefreshToken)
		require.NoError(t, err, "session %d was stored with its refresh token", i)
	}
	require.NotZero(t, db.Groups())
}

// What Active read is kept for CacheFor: past it, an entry is let go when
// the next is cached, so the cache holds about CacheFor's worth of
// sessions, not every one seen.
func TestActive_LetsGoOfWhatItReadCacheForAgo(t *testing.T) {
	f := newFixture(t, sqltest.SQLite(t))
	ctx := context.Background()
	at := time.Now().UTC()
	var mu sync.Mutex
	f.deps.Clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
	s := f.service(t, cheap)
	cached := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.cache)
	}
	var ids []string
	for range 20 {
		sess, err := s.Open(ctx, uuid.New(), "test")
		require.NoError(t, err)
		ids = append(ids, sess.SessionID)
		ok, err := s.Active(ctx, sess.SessionID)
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.Equal(t, 20, cached())

	mu.Lock()
	at = at.Add(CacheFor)
	mu.Unlock()
	ok, err := s.Active(ctx, ids[0])
	require.NoError(t, err)
	assert.True(t, ok, "read again, still active")
	assert.Equal(t, 1, cached(), "the 19 others read CacheFor ago are gone")
}
