// Package ratelimit throttles requests per client key (an IP, an account)
// with token buckets, answering 429 rate_limited with Retry-After — the
// guard in front of registration, one-time-code and payment endpoints and
// of denied requests. Limiter keeps its buckets in the process; Shared
// keeps them in PostgreSQL, so every instance draws from the same ones.
package ratelimit

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kabinet/kabinet/platform/httpx"
)

// Limiter holds one token bucket per key. Buckets idle for longer than it
// takes them to refill are forgotten, so memory stays bounded by the number
// of recently active keys.
type Limiter struct {
	every rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	inserts int
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New allows perMinute requests a minute per key with bursts of burst.
// perMinute ≤ 0 disables the limiter (every request is allowed).
func New(perMinute, burst int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	return &Limiter{
		every: rate.Limit(float64(perMinute) / 60), burst: burst, now: time.Now,
		buckets: map[string]*bucket{},
	}
}

// Enabled reports whether the limiter limits anything.
func (l *Limiter) Enabled() bool { return l != nil && l.every > 0 }

// Allow takes a token for key, or tells how long until one is free.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if !l.Enabled() {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst), seen: now}
		l.buckets[key] = b
		if l.inserts++; l.inserts%1024 == 0 {
			l.sweep(now)
		}
	}
	b.seen = now
	l.mu.Unlock()
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets buckets that have been idle long enough to be full again.
func (l *Limiter) sweep(now time.Time) {
	refill := time.Duration(float64(l.burst) / float64(l.every) * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.seen) > refill {
			delete(l.buckets, k)
		}
	}
}

// Take is Allow for the Taker interface; it never fails.
func (l *Limiter) Take(_ context.Context, key string) (bool, time.Duration, error) {
	ok, wait := l.Allow(key)
	return ok, wait, nil
}

// Middleware limits the wrapped routes per key(r) (see Middleware).
func (l *Limiter) Middleware(key func(*http.Request) string) func(http.Handler) http.Handler {
	return Middleware(l, key)
}

// Taker is a set of token buckets: in this process (Limiter) or shared by
// every instance (Shared).
type Taker interface {
	// Enabled reports whether the buckets limit anything.
	Enabled() bool
	// Take takes a token for key, or tells how long until one is free.
	Take(ctx context.Context, key string) (ok bool, wait time.Duration, err error)
}

// Middleware limits the wrapped routes per key(r); an empty key is not
// limited. A refused request is answered 429 rate_limited with
// Retry-After; when the buckets cannot be read the request is refused
// (500), not let through unlimited.
func Middleware(t Taker, key func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if !t.Enabled() {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if k := key(r); k != "" {
				ok, wait, err := t.Take(r.Context(), k)
				if err != nil {
					httpx.WriteError(w, r, err)
					return
				}
				if !ok {
					httpx.WriteError(w, r, Refusal(wait))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Refusal is the 429 answered after waiting wait.
func Refusal(wait time.Duration) error {
	return httpx.RateLimited("too many requests; try again later", int(math.Ceil(wait.Seconds())))
}

// ByIP keys requests by the client's address.
func ByIP(r *http.Request) string { return "ip:" + httpx.ClientIP(r) }
