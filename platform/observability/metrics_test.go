package observability_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/observability"
)

func newRouter(m *observability.Metrics) *chi.Mux {
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/v1/accounts/{id}/cabinet", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	r.Route("/v1/applications", func(r chi.Router) {
		r.Get("/by-number/{number}", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	})
	return r
}

func TestMiddleware_LabelsByRoutePatternNotRawPath(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := observability.NewMetrics(reg)
	r := newRouter(m)

	for _, id := range []string{"0190a5c4-0000-7000-8000-000000000001", "0190a5c4-0000-7000-8000-000000000002"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/accounts/"+id+"/cabinet", nil))
	}
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/applications/by-number/A-77", nil))

	want := `
# HELP http_requests_total HTTP requests served, by chi route pattern, method and status.
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/v1/accounts/{id}/cabinet",status="418"} 2
http_requests_total{method="GET",route="/v1/applications/by-number/{number}",status="200"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "http_requests_total"))
	n, err := testutil.GatherAndCount(reg, "http_request_duration_seconds")
	require.NoError(t, err)
	assert.Equal(t, 2, n, "one histogram per route and method")
}

func TestMiddleware_UnmatchedPathsShareOneLabel(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := observability.NewMetrics(reg)
	r := newRouter(m)

	for _, p := range []string{"/wp-admin", "/v1/accounts/+79161234567", "/.env"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/v1/accounts/x/cabinet", nil))

	text := scrape(t, reg)
	assert.NotContains(t, text, "79161234567")
	assert.NotContains(t, text, "wp-admin")
	assert.Contains(t, text, `route="unmatched",status="404"} 3`)
	assert.Contains(t, text, `method="OTHER"`)
}

func TestObserveAppend_CountsEventsOnlyOnSuccess(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := observability.NewMetrics(reg)

	m.ObserveAppend(3, 2*time.Millisecond, nil)
	m.ObserveAppend(2, time.Millisecond, errors.New("conflict"))

	want := `
# HELP eventstore_appended_events_total Events written by successful appends.
# TYPE eventstore_appended_events_total counter
eventstore_appended_events_total 3
# HELP eventstore_appends_total Appends to the event store, by result (ok, error).
# TYPE eventstore_appends_total counter
eventstore_appends_total{result="error"} 1
eventstore_appends_total{result="ok"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"eventstore_appended_events_total", "eventstore_appends_total"))
	n, err := testutil.GatherAndCount(reg, "eventstore_append_duration_seconds")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func TestSetProjection_LagIsHeadMinusPositionNeverNegative(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := observability.NewMetrics(reg)

	m.SetProjection("cabinet", 40, 42)
	m.SetProjection("queue", 50, 42) // head read before the batch: no negative lag
	m.ProjectionError("cabinet")
	m.JournalEntry("denied")

	want := `
# HELP projection_lag_events Events in the global log that a projection has not applied yet.
# TYPE projection_lag_events gauge
projection_lag_events{projection="cabinet"} 2
projection_lag_events{projection="queue"} 0
# HELP projection_position Global position of the last event a projection has applied.
# TYPE projection_position gauge
projection_position{projection="cabinet"} 40
projection_position{projection="queue"} 50
# HELP projection_errors_total Errors a projection met while applying events.
# TYPE projection_errors_total counter
projection_errors_total{projection="cabinet"} 1
# HELP journal_entries_total Action journal entries written, by outcome (done, refused, denied).
# TYPE journal_entries_total counter
journal_entries_total{outcome="denied"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"projection_lag_events", "projection_position", "projection_errors_total", "journal_entries_total"))
}

func TestHandler_ServesRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := observability.NewMetrics(reg)
	m.JournalEntry("done")

	assert.Contains(t, scrape(t, reg), `journal_entries_total{outcome="done"} 1`)
}

// scrape reads reg through Handler, as Prometheus would.
func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	observability.Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}
