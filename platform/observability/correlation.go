package observability

import (
	"context"
	"net/http"

	"github.com/google/uuid"
)

// CorrelationHeader carries the correlation id on requests and answers.
const CorrelationHeader = "X-Correlation-ID"

// maxCorrelationID bounds a client's correlation id; longer ones are replaced.
const maxCorrelationID = 64

type correlationKey struct{}

// WithCorrelationID returns ctx carrying id, for work started outside a
// request (projections, CLI commands) that still wants correlated logs.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationIDFrom returns the correlation id on ctx, or "" when none.
func CorrelationIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// CorrelationID is middleware that takes the client's X-Correlation-ID when it
// is a safe token (at most 64 characters of A-Z a-z 0-9 . _ -), else mints a
// UUIDv7, puts it on the request's context and echoes it on the answer. A
// client's id is checked because it ends up in logs, event metadata and the
// journal: free text there would let a caller forge log lines.
func CorrelationID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(CorrelationHeader)
		if !ValidCorrelationID(id) {
			id = NewCorrelationID()
		}
		w.Header().Set(CorrelationHeader, id)
		next.ServeHTTP(w, r.WithContext(WithCorrelationID(r.Context(), id)))
	})
}

// NewCorrelationID mints a fresh, time-ordered correlation id (UUIDv7).
func NewCorrelationID() string {
	// crypto/rand does not fail on supported platforms (Go 1.24+), so
	// neither does NewV7.
	return uuid.Must(uuid.NewV7()).String()
}

// ValidCorrelationID reports whether id may be taken from a client as is.
func ValidCorrelationID(id string) bool {
	if id == "" || len(id) > maxCorrelationID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
