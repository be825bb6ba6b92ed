package main

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/ratelimit"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// limits are the service's rate limits, per client IP: in this process on
// SQLite (one instance), in the read store on PostgreSQL, where every
// instance draws from the same buckets.
type limits struct {
	sensitive, payment, denied ratelimit.Taker
}

func newLimits(ctx context.Context, c Config, read *sqldb.DB, clock func() time.Time) (*limits, error) {
	newTaker := func(name string, perMinute int) (ratelimit.Taker, error) {
		burst := max(perMinute/6, 5)
		if read.IsPostgres() {
			return ratelimit.NewShared(ctx, read, name, perMinute, burst, clock)
		}
		return ratelimit.New(perMinute, burst), nil
	}
	var l limits
	var err error
	if l.sensitive, err = newTaker("sensitive", c.RateLimit); err != nil {
		return nil, err
	}
	if l.payment, err = newTaker("payment", c.PaymentRateLimit); err != nil {
		return nil, err
	}
	if l.denied, err = newTaker("denied", c.DeniedRateLimit); err != nil {
		return nil, err
	}
	return &l, nil
}

// throttleDenied takes a token of the client's denial budget for each
// denied request (auth.Guard.Throttle).
func (l *limits) throttleDenied(r *http.Request) error {
	if !l.denied.Enabled() {
		return nil
	}
	ok, wait, err := l.denied.Take(r.Context(), "ip:"+httpx.ClientIP(r))
	if err != nil {
		return err
	}
	if !ok {
		return ratelimit.Refusal(wait)
	}
	return nil
}

// sensitiveRoutes are the endpoints an attacker would hammer: creating
// accounts, sending or guessing one-time codes, and guessing passwords.
var sensitiveRoutes = map[string]bool{
	"POST /v1/accounts": true,
	"POST /v1/accounts/{id}/contacts/{channel}/code":           true,
	"POST /v1/accounts/{id}/contacts/{channel}/confirm":        true,
	"POST /v1/accounts/{id}/identity-verification/code":        true,
	"POST /v1/accounts/{id}/identity-verification/code/resend": true,
	"POST /v1/sessions":                           true,
	"POST /v1/sessions/challenges/{challenge_id}": true,
	"POST /v1/sessions/refresh":                   true,
	"POST /v1/password-resets":                    true,
	"POST /v1/password-resets/confirm":            true,
	"PUT /v1/accounts/{id}/password":              true,
	"POST /v1/accounts/{id}/totp/confirm":         true,
}

// limitSensitive throttles the sensitive routes per client IP.
func limitSensitive(l ratelimit.Taker) func(http.Handler) http.Handler {
	return ratelimit.Middleware(l, func(r *http.Request) string {
		rc := chi.RouteContext(r.Context())
		if rc == nil || !sensitiveRoutes[r.Method+" "+rc.RoutePattern()] {
			return ""
		}
		return ratelimit.ByIP(r)
	})
}
