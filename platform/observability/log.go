package observability

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// NewLogger builds the service's logger: JSON lines (or text when json is
// false) at level and above, each record carrying the correlation id of the
// context it was logged with.
func NewLogger(w io.Writer, level slog.Level, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if json {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(NewContextHandler(h))
}

// ContextHandler is a slog.Handler that adds correlation_id from the
// record's context to every record, so code that logs with
// logger.InfoContext(ctx, …) never has to pass the id by hand.
type ContextHandler struct {
	next slog.Handler
}

// NewContextHandler wraps next; wrapping a ContextHandler again is a no-op.
func NewContextHandler(next slog.Handler) *ContextHandler {
	if h, ok := next.(*ContextHandler); ok {
		return h
	}
	return &ContextHandler{next: next}
}

// Enabled reports whether the wrapped handler takes records at level.
func (h *ContextHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds correlation_id when ctx carries one, and trace_id and
// span_id when ctx is in a span, then passes the record on.
// After WithGroup the attribute lands inside the group, as slog nests
// every attribute added later.
func (h *ContextHandler) Handle(ctx context.Context, rec slog.Record) error {
	id := CorrelationIDFrom(ctx)
	sc := trace.SpanContextFromContext(ctx)
	if id != "" || sc.IsValid() {
		rec = rec.Clone()
	}
	if id != "" {
		rec.AddAttrs(slog.String("correlation_id", id))
	}
	if sc.IsValid() {
		rec.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.next.Handle(ctx, rec)
}

// WithAttrs returns a ContextHandler over next.WithAttrs(attrs).
func (h *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ContextHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a ContextHandler over next.WithGroup(name).
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	return &ContextHandler{next: h.next.WithGroup(name)}
}

type loggerKey struct{}

// WithLogger returns ctx carrying l, the logger request-scoped code uses.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// LoggerFrom returns the logger on ctx (put there by AccessLog), or
// slog.Default() wrapped to add the correlation id. Log with the *Context
// methods (ErrorContext, InfoContext) and ctx, so the id is added.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return withContextHandler(slog.Default())
}

func withContextHandler(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(*ContextHandler); ok {
		return l
	}
	return slog.New(NewContextHandler(l.Handler()))
}

// AccessLog is middleware that logs one line per request: method, route
// pattern, status, duration, bytes written and correlation id — nothing
// else (see the package comment: no raw path, query, body, headers or IP).
// It also puts logger on the request's context for LoggerFrom. Mount it
// after CorrelationID so the id is known.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	logger = withContextHandler(logger)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := newRecorder(w)
			ctx := WithLogger(r.Context(), logger)
			next.ServeHTTP(rec, r.WithContext(ctx))
			level := slog.LevelInfo
			if rec.Status() >= http.StatusInternalServerError {
				level = slog.LevelWarn
			}
			logger.LogAttrs(ctx, level, "http request",
				slog.String("method", r.Method),
				slog.String("route", routePattern(r)),
				slog.Int("status", rec.Status()),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.Int64("bytes", rec.bytes),
			)
		})
	}
}

// unmatchedRoute labels requests that matched no route, so a scan of random
// paths neither leaks them into logs nor explodes metric cardinality.
const unmatchedRoute = "unmatched"

// routePattern is chi's pattern for the route that served r, read after
// serving (chi fills it in while routing), or "unmatched".
func routePattern(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil {
		return unmatchedRoute
	}
	if p := rctx.RoutePattern(); p != "" {
		return p
	}
	return unmatchedRoute
}

// SpanRoute names the request's span by its chi route pattern
// ("GET /v1/accounts/{id}/cabinet") once routing chose one; use it inside
// the router.
func SpanRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			return
		}
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				span.SetName(r.Method + " " + p)
				span.SetAttributes(attribute.String("http.route", p))
			}
		}
	})
}
