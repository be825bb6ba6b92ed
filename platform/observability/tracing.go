package observability

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TracerName names the tracer of Kabinet's own spans.
const TracerName = "github.com/kabinet/kabinet"

// Tracer is Kabinet's tracer from the global provider (a no-op one until
// tracing is set up).
func Tracer() trace.Tracer { return otel.Tracer(TracerName) }

// Recording reports whether the global tracer provider records spans: it
// is the SDK's (SetupTracing installed one, or a test did), not the no-op
// default.
func Recording() bool {
	_, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider)
	return ok
}

// ExtractTrace is r's context with the trace context its headers carry
// (traceparent), as the global propagator reads it.
func ExtractTrace(r *http.Request) context.Context {
	return otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
}

// TracingEnabled reports whether the OTEL_* variables ask for traces: an
// OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or OTEL_TRACES_EXPORTER=otlp, and
// neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none. Off by
// default.
func TracingEnabled(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	switch strings.ToLower(getenv("OTEL_TRACES_EXPORTER")) {
	case "none":
		return false
	case "otlp":
		return true
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// SetupTracing installs the W3C trace-context propagator and, when the
// OTEL_* variables enable tracing, an OTLP exporter (http/protobuf, or gRPC
// with OTEL_EXPORTER_OTLP_PROTOCOL=grpc) as the global tracer provider; the
// exporter reads the endpoint, headers, timeout and TLS settings from the
// standard variables, the resource OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES, the sampler OTEL_TRACES_SAMPLER. shutdown
// flushes what is buffered.
func SetupTracing(ctx context.Context) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	noop := func(context.Context) error { return nil }
	if !TracingEnabled(os.Getenv) {
		return noop, nil
	}
	var exp sdktrace.SpanExporter
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return noop, fmt.Errorf("otlp trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", serviceName())))
	if err != nil {
		return noop, fmt.Errorf("trace resource: %w", err)
	}
	tp := NewTracerProvider(sdktrace.NewBatchSpanProcessor(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

func serviceName() string {
	if n := os.Getenv("OTEL_SERVICE_NAME"); n != "" {
		return n
	}
	return "kabinet"
}

// NewTracerProvider is a tracer provider whose spans pass through sp with
// the attributes that would reveal a person removed first (see redact).
func NewTracerProvider(sp sdktrace.SpanProcessor, opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(append(opts, sdktrace.WithSpanProcessor(redact{sp}))...)
}

// redactedAttrs are the HTTP attributes instrumentation sets that may name
// a person: raw paths and queries (account ids, numbers), client addresses
// and user agents. Spans keep the route pattern instead (SpanRoute).
var redactedAttrs = []attribute.Key{"url.path", "url.query", "url.full", "http.target", "http.url",
	"client.address", "network.peer.address", "http.client_ip", "net.sock.peer.addr", "user_agent.original", "http.user_agent"}

// redact blanks redactedAttrs as each span starts, before next sees it.
type redact struct{ next sdktrace.SpanProcessor }

func (r redact) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	for _, kv := range s.Attributes() {
		for _, k := range redactedAttrs {
			if kv.Key == k {
				s.SetAttributes(attribute.String(string(k), "[redacted]"))
			}
		}
	}
	r.next.OnStart(ctx, s)
}
func (r redact) OnEnd(s sdktrace.ReadOnlySpan)        { r.next.OnEnd(s) }
func (r redact) Shutdown(ctx context.Context) error   { return r.next.Shutdown(ctx) }
func (r redact) ForceFlush(ctx context.Context) error { return r.next.ForceFlush(ctx) }

// Traceparent is the W3C traceparent of ctx's span ("" when none), the
// form events carry in their metadata.
func Traceparent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return c["traceparent"]
}

// SpanContextOf parses a traceparent ("" or malformed: an invalid one).
func SpanContextOf(traceparent string) trace.SpanContext {
	if traceparent == "" {
		return trace.SpanContext{}
	}
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	return trace.SpanContextFromContext(ctx)
}

var traceparentKey = []byte(`"traceparent":"`)

// TraceparentIn finds the traceparent member of an event's JSON metadata
// without decoding the rest ("" when it has none).
func TraceparentIn(metadata []byte) string {
	i := bytes.Index(metadata, traceparentKey)
	if i < 0 {
		return ""
	}
	rest := metadata[i+len(traceparentKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 64 {
		return ""
	}
	return string(rest[:j])
}

// StartFromEvents starts span name as a child of the first traceparent
// among metadata (the request that wrote those events) and linked to the
// others, so work done later for events (projections, the journal)
// continues the traces of the commands that wrote them.
func StartFromEvents(ctx context.Context, name string, metadata [][]byte, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	var parent trace.SpanContext
	var links []trace.Link
	seen := map[trace.SpanID]bool{}
	for _, m := range metadata {
		sc := SpanContextOf(TraceparentIn(m))
		if !sc.IsValid() || seen[sc.SpanID()] {
			continue
		}
		seen[sc.SpanID()] = true
		if !parent.IsValid() {
			parent = sc
			continue
		}
		if len(links) < 128 {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	if parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
	}
	return Tracer().Start(ctx, name, trace.WithLinks(links...), trace.WithAttributes(attrs...))
}
