package main

import (
	"context"
	"io"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// testClock is the service's clock in the desk's tests: it starts at the
// wall clock and moves only when told, so deadlines, slots and schedules
// are tested without waiting.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now().UTC()} }

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t.UTC() }

func (c *testClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// startServerWithClock is startServer with the service on clk, in dir
// (a fresh one when empty).
func startServerWithClock(t *testing.T, env map[string]string, clk *testClock, dir string) *testServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	args := []string{"--data-dir", dir, "--rate-limit", "0", "--payment-rate-limit", "0", "--denied-rate-limit", "0"}
	for k, v := range env {
		args = append(args, "--"+k, v)
	}
	c := parseTestConfig(t, args)
	c.clock = clk.Now
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, c, io.Discard)
	require.NoError(t, err)
	ts := &testServer{t: t, app: a, dataDir: dir, cancel: cancel, done: make(chan struct{})}
	ts.srv = httptest.NewServer(a.Handler)
	go func() {
		defer close(ts.done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); a.JournalWriter.Run(ctx) }()
		a.Runner.Run(ctx)
		wg.Wait()
	}()
	t.Cleanup(ts.stop)
	return ts
}

// onBothStores runs a desk test on the embedded SQLite stores and on
// PostgreSQL (skipped loudly when unreachable, failed under
// KABINET_REQUIRE_PG=1).
func onBothStores(t *testing.T, run func(t *testing.T, ts *testServer, clk *testClock)) {
	t.Run("sqlite", func(t *testing.T) {
		clk := newTestClock()
		run(t, startServerWithClock(t, nil, clk, ""), clk)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := sqltest.PGDSN(t)
		clk := newTestClock()
		run(t, startServerWithClock(t, map[string]string{"eventstore": dsn, "readstore": dsn}, clk, ""), clk)
	})
}

// citizenToken mints account's citizen token on the service's clock (after
// the clock moved past the registration token's life).
func (ts *testServer) citizenToken(account string) string {
	ts.t.Helper()
	tok, err := ts.app.Issuer.Mint(principal(account, "citizen", account), time.Hour)
	require.NoError(ts.t, err)
	return tok
}

// record runs decide on account through the repository, as the routes of
// other issues would (personal data, documents), at the clock's time.
func (ts *testServer) record(account string, clk *testClock, decide func(a *domain.ForeignerAccount, now time.Time, today domain.Date) error) {
	ts.t.Helper()
	repo := commands.NewRepository(ts.app.Store, newID)
	md := commands.Metadata{ActorID: account, ActorRole: "citizen", CorrelationID: newID().String(), Command: "TestSetup"}
	now := clk.Now()
	_, err := repo.Update(context.Background(), uuid.MustParse(account), md, func(a *domain.ForeignerAccount) error {
		return decide(a, now, domain.MoscowDate(now))
	})
	require.NoError(ts.t, err)
}

// waitFor polls cond until it holds (the projections and the journal are
// asynchronous), failing after a bound.
func waitFor(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 15*time.Second, 20*time.Millisecond, msg)
}
