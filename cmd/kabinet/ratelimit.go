package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/ratelimit"
)

// sensitiveRoutes are the endpoints an attacker would hammer: creating
// accounts and sending or guessing one-time codes.
var sensitiveRoutes = map[string]bool{
	"POST /v1/accounts": true,
	"POST /v1/accounts/{id}/contacts/{channel}/code":           true,
	"POST /v1/accounts/{id}/contacts/{channel}/confirm":        true,
	"POST /v1/accounts/{id}/identity-verification/code":        true,
	"POST /v1/accounts/{id}/identity-verification/code/resend": true,
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
