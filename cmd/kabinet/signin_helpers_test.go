package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// fakeClock is a settable clock shared by an App and its test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startClocked is startServer with an injected clock and optional settings.
func startClocked(t *testing.T, env map[string]string, clock *fakeClock) *testServer {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--rate-limit", "0"}
	for k, v := range env {
		args = append(args, "--"+k, v)
	}
	c := parseTestConfig(t, args)
	c.clock = clock.Now
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

// eachBackend runs f on SQLite and on PostgreSQL (events and read store),
// each with its own clock.
func eachBackend(t *testing.T, f func(t *testing.T, ts *testServer, clock *fakeClock)) {
	t.Run("sqlite", func(t *testing.T) {
		clock := newFakeClock()
		f(t, startClocked(t, nil, clock), clock)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := sqltest.PGDSN(t)
		clock := newFakeClock()
		f(t, startClocked(t, map[string]string{"eventstore": dsn, "readstore": dsn}, clock), clock)
	})
}

const goodPassword = "violet-lamp-1987"

// citizen registers with phone, confirms it and sets goodPassword; it
// returns the account and its registration token.
func (ts *testServer) citizen(phone string) (id, tok string) {
	ts.t.Helper()
	id, tok = ts.register(phone)
	require.Equal(ts.t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": ts.lastCode(id)})
	require.Equal(ts.t, http.StatusOK, a.status, string(a.raw))
	a = ts.do("PUT", "/v1/accounts/"+id+"/password", tok, map[string]string{"password": goodPassword})
	require.Equal(ts.t, http.StatusOK, a.status, string(a.raw))
	return id, tok
}

// signIn sends login and password and, on a 202, answers the challenge
// with the code sent; it returns the challenge's answer.
func (ts *testServer) signIn(id, login, password string) answer {
	ts.t.Helper()
	a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": login, "password": password})
	require.Equal(ts.t, http.StatusAccepted, a.status, string(a.raw))
	ch := a.body["challenge_id"].(string)
	done := ts.do("POST", "/v1/sessions/challenges/"+ch, "", map[string]string{"code": ts.lastCode(id)})
	require.Equal(ts.t, http.StatusCreated, done.status, string(done.raw))
	return done
}

func str(a answer, key string) string {
	s, _ := a.body[key].(string)
	return s
}

// wrongCode is a code that differs from code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}
