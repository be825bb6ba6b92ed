package eventstore

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// AppendObserver is told about every append (metrics).
type AppendObserver interface {
	ObserveAppend(events int, d time.Duration, err error)
}

// Instrumented wraps s so that every append is reported to o and is a span.
func Instrumented(s Store, o AppendObserver) Store {
	return &instrumented{Store: s, o: o}
}

type instrumented struct {
	Store
	o AppendObserver
}

// Append is a span of the caller's trace ("eventstore append", with the
// stream's kind and the number of events) and an observed duration.
func (i *instrumented) Append(ctx context.Context, stream string, expected ExpectedVersion, events []EventData) (AppendResult, error) {
	ctx, span := otel.Tracer(tracerName).Start(ctx, "eventstore append", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("kabinet.stream_kind", streamKind(stream)), attribute.Int("kabinet.events", len(events))))
	defer span.End()
	start := time.Now()
	res, err := i.Store.Append(ctx, stream, expected, events)
	i.o.ObserveAppend(len(events), time.Since(start), err)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "append failed")
	} else {
		span.SetAttributes(attribute.Int64("kabinet.position", int64(res.LastPosition)))
	}
	return res, err
}

// ReadPositions passes through to the wrapped store's PositionReader, else
// reads each position by ReadAll.
func (i *instrumented) ReadPositions(ctx context.Context, positions []uint64) ([]RecordedEvent, error) {
	return ReadPositions(ctx, i.Store, positions)
}

const tracerName = "github.com/kabinet/kabinet/platform/eventstore"

// streamKind is a stream name's prefix ("account" of account-<id>): the
// id itself stays out of traces.
func streamKind(stream string) string {
	if i := strings.IndexByte(stream, '-'); i > 0 {
		return stream[:i]
	}
	return stream
}
