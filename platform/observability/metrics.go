package observability

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds Kabinet's Prometheus collectors. Every label takes values
// from a small fixed set (route patterns, projection names, outcomes), never
// from ids or user input, so series stay few.
type Metrics struct {
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	appends        *prometheus.CounterVec
	appendedEvents prometheus.Counter
	appendDuration prometheus.Histogram
	projPosition   *prometheus.GaugeVec
	projLag        *prometheus.GaugeVec
	projPoisoned   *prometheus.GaugeVec
	projErrors     *prometheus.CounterVec
	journalEntries *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg; it panics
// when one is registered already, as wiring runs once at start.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by chi route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by chi route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventstore_appends_total",
			Help: "Appends to the event store, by result (ok, error).",
		}, []string{"result"}),
		appendedEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventstore_appended_events_total",
			Help: "Events written by successful appends.",
		}),
		appendDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "eventstore_append_duration_seconds",
			Help:    "Time an append to the event store took, failed ones included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		projPosition: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "projection_position",
			Help: "Global position of the last event a projection has applied.",
		}, []string{"projection"}),
		projPoisoned: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "projection_poisoned_events",
			Help: "Events a projection could not apply that wait in the poison queue.",
		}, []string{"projection"}),
		projLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "projection_lag_events",
			Help: "Events in the global log that a projection has not applied yet.",
		}, []string{"projection"}),
		projErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "projection_errors_total",
			Help: "Errors a projection met while applying events.",
		}, []string{"projection"}),
		journalEntries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journal_entries_total",
			Help: "Action journal entries written, by outcome (done, refused, denied).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.appends, m.appendedEvents, m.appendDuration,
		m.projPosition, m.projLag, m.projPoisoned, m.projErrors, m.journalEntries)
	return m
}

// ObserveAppend records one append of events that took d; err != nil counts
// it as failed (a version conflict included) and adds no events.
func (m *Metrics) ObserveAppend(events int, d time.Duration, err error) {
	m.appendDuration.Observe(d.Seconds())
	if err != nil {
		m.appends.WithLabelValues("error").Inc()
		return
	}
	m.appends.WithLabelValues("ok").Inc()
	m.appendedEvents.Add(float64(events))
}

// SetProjection records that projection name has applied the log up to
// position while the log's head is at head.
func (m *Metrics) SetProjection(name string, position, head uint64) {
	m.projPosition.WithLabelValues(name).Set(float64(position))
	var lag uint64
	if head > position {
		lag = head - position
	}
	m.projLag.WithLabelValues(name).Set(float64(lag))
}

// SetPoisoned records how many events of projection name wait in the
// poison queue.
func (m *Metrics) SetPoisoned(name string, pending int) {
	m.projPoisoned.WithLabelValues(name).Set(float64(pending))
}

// ProjectionError counts one error of projection name.
func (m *Metrics) ProjectionError(name string) {
	m.projErrors.WithLabelValues(name).Inc()
}

// JournalEntry counts one journal entry with outcome (done, refused, denied).
func (m *Metrics) JournalEntry(outcome string) {
	m.journalEntries.WithLabelValues(outcome).Inc()
}

// Middleware counts and times requests, labelled by the chi route pattern
// read after serving (/v1/accounts/{id}/cabinet), never by the raw path:
// ids in paths would make a series per account. Requests that match no
// route share the label "unmatched".
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := newRecorder(w)
		next.ServeHTTP(rec, r)
		route := routePattern(r)
		method := normalizeMethod(r.Method)
		m.httpRequests.WithLabelValues(route, method, strconv.Itoa(rec.Status())).Inc()
		m.httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// normalizeMethod keeps the method label to the standard verbs: a client
// may send any token as a method.
func normalizeMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// Handler serves reg's metrics in the Prometheus exposition format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
