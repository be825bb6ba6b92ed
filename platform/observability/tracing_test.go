package observability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kabinet/kabinet/platform/observability"
)

func TestTracingEnabled_OffByDefaultOnWithAnOTLPEndpoint(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	assert.False(t, observability.TracingEnabled(env(nil)), "off by default")
	assert.True(t, observability.TracingEnabled(env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})))
	assert.True(t, observability.TracingEnabled(env(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})))
	assert.True(t, observability.TracingEnabled(env(map[string]string{"OTEL_TRACES_EXPORTER": "otlp"})))
	assert.False(t, observability.TracingEnabled(env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"})))
	assert.False(t, observability.TracingEnabled(env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"})))
}

// TestSetupTracing_ExportsOverOTLPToTheConfiguredEndpoint points the
// standard variables at an httptest collector and sees a span arrive.
func TestSetupTracing_ExportsOverOTLPToTheConfiguredEndpoint(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	var body []byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths, body = append(paths, r.URL.Path+" "+r.Header.Get("Content-Type")), append(body, b...)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", "kabinet-test")
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	shutdown, err := observability.SetupTracing(context.Background())
	require.NoError(t, err)
	_, span := observability.Tracer().Start(context.Background(), "a-span-to-export")
	span.End()
	require.NoError(t, shutdown(context.Background()), "shutdown flushes")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"/v1/traces application/x-protobuf"}, paths)
	assert.Contains(t, string(body), "a-span-to-export")
	assert.Contains(t, string(body), "kabinet-test")
}

func TestTraceparent_RoundTripsThroughEventMetadata(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := observability.NewTracerProvider(sdktrace.NewSimpleSpanProcessor(exp))
	ctx, span := tp.Tracer("t").Start(context.Background(), "request")
	tp1 := observability.Traceparent(ctx)
	assert.Regexp(t, `^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`, tp1)
	meta, _ := json.Marshal(map[string]string{"actor_id": "a", "traceparent": tp1})
	assert.Equal(t, tp1, observability.TraceparentIn(meta))
	assert.Equal(t, span.SpanContext().SpanID(), observability.SpanContextOf(tp1).SpanID())
	assert.Empty(t, observability.TraceparentIn([]byte(`{"actor_id":"a"}`)))
	assert.Empty(t, observability.Traceparent(context.Background()), "no span, no traceparent")
	assert.False(t, observability.SpanContextOf("garbage").IsValid())
}

func TestStartFromEvents_ChildOfTheFirstEventsTraceLinkedToTheOthers(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := observability.NewTracerProvider(sdktrace.NewSimpleSpanProcessor(exp))
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	var metas [][]byte
	var requests []trace.SpanContext
	for range 3 {
		ctx, s := tp.Tracer("t").Start(context.Background(), "request")
		m, _ := json.Marshal(map[string]string{"traceparent": observability.Traceparent(ctx)})
		metas, requests = append(metas, m, m), append(requests, s.SpanContext()) // two events each
		s.End()
	}
	metas = append(metas, []byte(`{}`))
	_, span := observability.StartFromEvents(context.Background(), "projection x", metas, attribute.Int("n", 7))
	span.End()
	got := exp.GetSpans()[len(exp.GetSpans())-1]
	assert.Equal(t, "projection x", got.Name)
	assert.Equal(t, requests[0].TraceID(), got.SpanContext.TraceID())
	assert.Equal(t, requests[0].SpanID(), got.Parent.SpanID())
	require.Len(t, got.Links, 2, "one link per other request")
	assert.Equal(t, requests[1].SpanID(), got.Links[0].SpanContext.SpanID())
	assert.Equal(t, requests[2].SpanID(), got.Links[1].SpanContext.SpanID())
}

func TestNewLogger_RecordsCarryTraceIDAndSpanID(t *testing.T) {
	tp := observability.NewTracerProvider(sdktrace.NewSimpleSpanProcessor(tracetest.NewInMemoryExporter()))
	ctx, span := tp.Tracer("t").Start(context.Background(), "request")
	var buf bytes.Buffer
	observability.NewLogger(&buf, slog.LevelInfo, true).InfoContext(ctx, "hello")
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	assert.Equal(t, span.SpanContext().TraceID().String(), rec["trace_id"])
	assert.Equal(t, span.SpanContext().SpanID().String(), rec["span_id"])
	buf.Reset()
	observability.NewLogger(&buf, slog.LevelInfo, true).InfoContext(context.Background(), "hello")
	assert.NotContains(t, buf.String(), "trace_id", "no span, no trace id")
}

func TestNewTracerProvider_RedactsRawPathsAndClientAddresses(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := observability.NewTracerProvider(sdktrace.NewSimpleSpanProcessor(exp))
	_, span := tp.Tracer("t").Start(context.Background(), "GET", trace.WithAttributes(
		attribute.String("url.path", "/v1/accounts/0190-secret"), attribute.String("client.address", "203.0.113.7"),
		attribute.String("http.request.method", "GET")))
	span.End()
	got := exp.GetSpans()[0].Attributes
	assert.Contains(t, got, attribute.String("url.path", "[redacted]"))
	assert.Contains(t, got, attribute.String("client.address", "[redacted]"))
	assert.Contains(t, got, attribute.String("http.request.method", "GET"), "the rest is kept")
}
