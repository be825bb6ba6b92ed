package observability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/observability"
)

func TestCorrelationID_KeepsAValidClientIDAndEchoesIt(t *testing.T) {
	var seen string
	h := observability.CorrelationID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = observability.CorrelationIDFrom(r.Context())
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Correlation-ID", "client-req_42.a")
	rec := httptest.NewRecorder()

	h.ServeHTTP(rec, req)

	assert.Equal(t, "client-req_42.a", seen)
	assert.Equal(t, "client-req_42.a", rec.Header().Get("X-Correlation-ID"))
}

func TestCorrelationID_ReplacesMissingOrUnsafeIDsWithUUIDv7(t *testing.T) {
	for name, header := range map[string]string{
		"missing":  "",
		"too long": strings.Repeat("a", 65),
		"spaces":   "abc def",
		"newline":  "abc\n{\"level\":\"ERROR\"}",
		"unicode":  "идентификатор",
		"quote":    `a"b`,
	} {
		t.Run(name, func(t *testing.T) {
			var seen string
			h := observability.CorrelationID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				seen = observability.CorrelationIDFrom(r.Context())
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if header != "" {
				req.Header.Set("X-Correlation-ID", header)
			}
			rec := httptest.NewRecorder()

			h.ServeHTTP(rec, req)

			id, err := uuid.Parse(seen)
			require.NoError(t, err)
			assert.Equal(t, uuid.Version(7), id.Version())
			assert.Equal(t, seen, rec.Header().Get("X-Correlation-ID"))
		})
	}
}

func TestValidCorrelationID_AcceptsUpTo64SafeCharacters(t *testing.T) {
	assert.True(t, observability.ValidCorrelationID(strings.Repeat("Az9._-", 10)+"abcd"))
	assert.False(t, observability.ValidCorrelationID(strings.Repeat("a", 65)))
	assert.False(t, observability.ValidCorrelationID(""))
}

func TestContextHandler_AddsCorrelationIDToEveryRecord(t *testing.T) {
	var buf bytes.Buffer
	logger := observability.NewLogger(&buf, slog.LevelInfo, true).With("component", "test")
	ctx := observability.WithCorrelationID(context.Background(), "corr-1")

	logger.InfoContext(ctx, "with id")
	logger.Info("without id")
	logger.DebugContext(ctx, "below level")

	lines := logLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, "corr-1", lines[0]["correlation_id"])
	assert.Equal(t, "test", lines[0]["component"])
	assert.NotContains(t, lines[1], "correlation_id")
}

func TestNewLogger_TextFormat(t *testing.T) {
	var buf bytes.Buffer
	logger := observability.NewLogger(&buf, slog.LevelDebug, false)

	logger.DebugContext(observability.WithCorrelationID(context.Background(), "c-2"), "hello")

	assert.Contains(t, buf.String(), "msg=hello")
	assert.Contains(t, buf.String(), "correlation_id=c-2")
}

// personalRouter serves a route whose path and body carry personal data,
// as the owner-lookup and registration routes do.
func personalRouter(logger *slog.Logger) http.Handler {
	r := chi.NewRouter()
	r.Use(observability.CorrelationID, observability.AccessLog(logger))
	r.Post("/v1/lookup/{phone}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		observability.LoggerFrom(r.Context()).InfoContext(r.Context(), "lookup", "bytes", len(body))
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"phone":"+79161234567"}`))
	})
	return r
}

func TestAccessLog_LogsRouteStatusDurationAndCorrelationOnly(t *testing.T) {
	var buf bytes.Buffer
	h := personalRouter(observability.NewLogger(&buf, slog.LevelInfo, true))
	req := httptest.NewRequest(http.MethodPost, "/v1/lookup/79161234567?email=ivan@example.ru", strings.NewReader(`{"surname":"Karimov"}`))
	req.Header.Set("X-Correlation-ID", "req-7")

	h.ServeHTTP(httptest.NewRecorder(), req)

	lines := logLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, "req-7", lines[0]["correlation_id"], "handler logs through the request's logger")
	access := lines[1]
	assert.Equal(t, "http request", access["msg"])
	assert.Equal(t, "POST", access["method"])
	assert.Equal(t, "/v1/lookup/{phone}", access["route"])
	assert.EqualValues(t, 201, access["status"])
	assert.Contains(t, access, "duration_ms")
	assert.Equal(t, "req-7", access["correlation_id"])
}

func TestAccessLog_NeverLogsPathQueryBodyOrIP(t *testing.T) {
	var buf bytes.Buffer
	h := personalRouter(observability.NewLogger(&buf, slog.LevelDebug, true))
	req := httptest.NewRequest(http.MethodPost, "/v1/lookup/79161234567?email=ivan@example.ru",
		strings.NewReader(`{"surname":"Karimov","phone":"+7 916 123-45-67"}`))
	req.RemoteAddr = "203.0.113.77:51234"
	req.Header.Set("Authorization", "Bearer secret.token.value")

	h.ServeHTTP(httptest.NewRecorder(), req)

	out := buf.String()
	require.NotEmpty(t, out)
	for _, leak := range []string{"79161234567", "123-45-67", "ivan@example.ru", "email=", "Karimov", "203.0.113.77", "secret.token", "/v1/lookup/7"} {
		assert.NotContains(t, out, leak)
	}
}

func TestAccessLog_UnmatchedRouteIsNotLoggedVerbatim(t *testing.T) {
	var buf bytes.Buffer
	h := personalRouter(observability.NewLogger(&buf, slog.LevelInfo, true))

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/passport/AB1234567", nil))

	lines := logLines(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "unmatched", lines[0]["route"])
	assert.EqualValues(t, 404, lines[0]["status"])
	assert.NotContains(t, buf.String(), "AB1234567")
}

func TestAccessLog_AddsCorrelationIDEvenToAPlainLogger(t *testing.T) {
	var buf bytes.Buffer
	plain := slog.New(slog.NewJSONHandler(&buf, nil))
	h := observability.CorrelationID(observability.AccessLog(plain)(http.NotFoundHandler()))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Correlation-ID", "plain-1")

	h.ServeHTTP(httptest.NewRecorder(), req)

	lines := logLines(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "plain-1", lines[0]["correlation_id"])
}

func TestLoggerFrom_FallsBackToDefaultWithCorrelationID(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))

	ctx := observability.WithCorrelationID(context.Background(), "bg-1")
	observability.LoggerFrom(ctx).InfoContext(ctx, "background")

	lines := logLines(t, &buf)
	require.Len(t, lines, 1)
	assert.Equal(t, "bg-1", lines[0]["correlation_id"])
}

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}
