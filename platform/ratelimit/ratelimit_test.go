package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllow_BurstThenRefill(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := New(60, 3) // one a second, bursts of three
	l.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		ok, _ := l.Allow("a")
		require.True(t, ok, "burst %d", i)
	}
	ok, wait := l.Allow("a")
	assert.False(t, ok)
	assert.InDelta(t, time.Second, wait, float64(10*time.Millisecond))
	ok, _ = l.Allow("b")
	assert.True(t, ok, "keys are independent")
	now = now.Add(time.Second)
	ok, _ = l.Allow("a")
	assert.True(t, ok, "a token refills")
}

func TestAllow_RefusalsDoNotDrainTheBucket(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := New(60, 1)
	l.now = func() time.Time { return now }
	l.Allow("a")
	for i := 0; i < 10; i++ {
		l.Allow("a") // refused, must not push the next token further away
	}
	now = now.Add(time.Second)
	ok, _ := l.Allow("a")
	assert.True(t, ok)
}

func TestSweep_ForgetsIdleBuckets(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := New(60, 2)
	l.now = func() time.Time { return now }
	for i := 0; i < 1023; i++ {
		l.Allow(string(rune('a'+i%26)) + string(rune(i)))
	}
	now = now.Add(time.Minute)
	l.Allow("trigger") // the 1024th insert sweeps
	assert.Len(t, l.buckets, 1)
}

func TestMiddleware_Answers429WithRetryAfter(t *testing.T) {
	l := New(60, 1)
	h := l.Middleware(ByIP)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	do := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/accounts", nil)
		req.RemoteAddr = "192.0.2.7:5555"
		h.ServeHTTP(rec, req)
		return rec
	}
	assert.Equal(t, 204, do().Code)
	rec := do()
	assert.Equal(t, 429, rec.Code)
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), `"code":"rate_limited"`)
}

func TestDisabled_AllowsEverything(t *testing.T) {
	l := New(0, 1)
	for i := 0; i < 100; i++ {
		ok, _ := l.Allow("a")
		require.True(t, ok)
	}
}
