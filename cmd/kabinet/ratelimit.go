package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/ratelimit"
)

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
func limitSensitive(l *ratelimit.Limiter) func(http.Handler) http.Handler {
	return l.Middleware(func(r *http.Request) string {
		rc := chi.RouteContext(r.Context())
		if rc == nil || !sensitiveRoutes[r.Method+" "+rc.RoutePattern()] {
			return ""
		}
		return ratelimit.ByIP(r)
	})
}
