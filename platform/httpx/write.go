package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/observability"
)

// WriteError answers err as problem+json: domain errors by the code table
// (their Details become top-level members), transport errors with their own
// status, anything else as 500 internal with no internals in the answer. A
// 500 is logged at error level with the request's correlation id; nothing
// else is logged here, as refusals are the journal's business. When the
// problem carries retry_after (429, 423, 503), Retry-After is set from it.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	if p.Status >= http.StatusInternalServerError && p.Code == CodeInternal {
		logInternal(r, err)
	}
	if p.Code == CodeStoreUnavailable {
		Logger(r).WarnContext(r.Context(), "store unavailable", "err", err, "method", r.Method, "route", routePattern(r))
	}
	if secs, ok := retryAfter(p.Extra); ok && secs >= 0 && w.Header().Get("Retry-After") == "" {
		switch p.Status {
		case http.StatusTooManyRequests, http.StatusLocked, http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		}
	}
	WriteProblem(w, p)
}

// logInternal logs an error the client is not told about. The route
// pattern, not the path, names the request (see observability's rule).
func logInternal(r *http.Request, err error) {
	ctx := r.Context()
	level := slog.LevelError
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		level = slog.LevelWarn // the client went away; not a fault of ours
	}
	Logger(r).Log(ctx, level, "request failed", "err", err, "method", r.Method, "route", routePattern(r))
}

// Logger is the request's logger (see observability.LoggerFrom); log with its
// *Context methods and r.Context() so the correlation id is attached.
func Logger(r *http.Request) *slog.Logger {
	return observability.LoggerFrom(r.Context())
}

func routePattern(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

// ClientIP is the client's address, for rate limits, event metadata and
// the journal (never for logs): the one ClientAddress found when it ran in
// front of the routes, else the peer's address without the port.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	return peerIP(r)
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Recoverer turns a handler's panic into a logged 500 internal problem, so
// one bad request neither kills the connection silently nor leaks a stack
// trace. http.ErrAbortHandler is re-raised, as net/http expects.
func Recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			Logger(r).ErrorContext(r.Context(), "handler panicked",
				"panic", v, "method", r.Method, "route", routePattern(r), "stack", string(debug.Stack()))
			WriteProblem(w, NewProblem(http.StatusInternalServerError, CodeInternal, "the server failed to handle the request"))
		}()
		next.ServeHTTP(w, r)
	})
}
