package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kabinet/kabinet/platform/observability"
)

// withSpanRecorder installs an in-memory span exporter as the global
// tracer provider for the test.
func withSpanRecorder(t *testing.T) *tracetest.InMemoryExporter {
	exp := tracetest.NewInMemoryExporter()
	tp := observability.NewTracerProvider(sdktrace.NewSimpleSpanProcessor(exp))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		tp.Shutdown(context.Background())
	})
	return exp
}

func inTrace(spans tracetest.SpanStubs, id trace.TraceID) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.SpanContext.TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

func named(spans tracetest.SpanStubs, name string) *tracetest.SpanStub {
	for i := range spans {
		if spans[i].Name == name {
			return &spans[i]
		}
	}
	return nil
}

// TestTracing_OneCommandIsOneTraceFromHTTPThroughTheStoreToProjectionsAndJournal
// sends a registration inside a client's trace and finds, in that trace,
// the request's server span, the SQL spans of its append (children of it),
// and the spans of the cabinet projection and of the journal writer, which
// continue from the traceparent the events carry; no span holds the
// person's data or address.
func TestTracing_OneCommandIsOneTraceFromHTTPThroughTheStoreToProjectionsAndJournal(t *testing.T) {
	exp := withSpanRecorder(t)
	ts := startServer(t, nil)
	clientTrace, err := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	require.NoError(t, err)
	reg := ts.do("POST", "/v1/accounts", "", map[string]any{"surname": "Трейсов", "given_names": "Пётр",
		"citizenship": "UZ", "phone": "+79123459876", "consent": consent}, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	require.Equal(t, http.StatusCreated, reg.status, string(reg.raw))
	id, tok := reg.body["account_id"].(string), reg.body["token"].(string)
	pos := fmt.Sprint(int64(reg.body["position"].(float64)))
	require.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", pos).status)

	var spans tracetest.SpanStubs
	require.Eventually(t, func() bool {
		spans = inTrace(exp.GetSpans(), clientTrace)
		return named(spans, "projection cabinet") != nil && named(spans, "journal append") != nil
	}, 10*time.Second, 20*time.Millisecond, "the projection and the journal continue the command's trace")
	if t.Failed() {
		for _, s := range exp.GetSpans() {
			if !strings.Contains(s.Name, " ") || strings.HasPrefix(s.Name, "CREATE") {
				continue
			}
			t.Logf("%s %s parent=%s span=%s", s.Name, s.SpanContext.TraceID(), s.Parent.SpanID(), s.SpanContext.SpanID())
		}
	}

	server := named(spans, "POST /v1/accounts")
	require.NotNil(t, server, "the request's span, named by its route")
	assert.Equal(t, trace.SpanKindServer, server.SpanKind)
	assert.Equal(t, "00f067aa0ba902b7", server.Parent.SpanID().String(), "continues the client's trace")

	var appends int
	for _, s := range spans {
		if s.Parent.SpanID() == server.SpanContext.SpanID() && s.Name == "eventstore append" {
			appends++
		}
	}
	assert.Positive(t, appends, "the store's appends are spans of the request")

	for _, name := range []string{"projection cabinet", "journal append"} {
		s := named(spans, name)
		assert.Equal(t, server.SpanContext.SpanID(), s.Parent.SpanID(), "%s starts from the event's traceparent", name)
		var queries int
		for _, q := range spans {
			if q.Parent.SpanID() == s.SpanContext.SpanID() {
				queries++
			}
		}
		assert.Positive(t, queries, "%s's queries are its children", name)
	}

	for _, s := range exp.GetSpans() {
		for _, a := range s.Attributes {
			v := a.Value.String()
			if a.Key == "server.address" {
				continue // the service's own address
			}
			if a.Key == "client.address" {
				assert.Equal(t, "[redacted]", v)
			}
			for _, secret := range []string{"Трейсов", "79123459876", "127.0.0.1", id} {
				assert.NotContains(t, v, secret, "span %q attribute %s", s.Name, a.Key)
			}
		}
	}
}
