package projections

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/observability"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections/esbus"
)

// LiveBatch bounds how many already-committed events a live message takes
// along into its transaction.
const LiveBatch = 256

// liveHandler applies a delivered event, and with it the events already
// committed after it, in one transaction with the checkpoint: under load a
// projector then commits once per burst instead of once per event. The
// events it has applied that way (up to applied) its subscription passes
// over (esbus.SubscriberConfig.Handled); a message for one that comes all
// the same is acknowledged at once. If
// the batch fails, the delivered event is tried alone, so that only the
// event that cannot be projected reaches the poison queue.
func (r *Runner) liveHandler(p Projector, applied *atomic.Uint64) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		rec, err := esbus.Event(msg)
		if err != nil {
			return err
		}
		if rec.Position <= applied.Load() {
			return nil
		}
		ctx := msg.Context()
		batch := []eventstore.RecordedEvent{rec}
		if more, err := r.ahead.after(ctx, r.Store, rec.Position, LiveBatch-1); err == nil {
			batch = append(batch, more...)
		}
		last, err := r.apply(ctx, p, batch)
		if err != nil && len(batch) > 1 {
			last, err = r.apply(ctx, p, batch[:1])
		}
		// A store that cannot answer is no fault of the event: wait for it
		// rather than let the retries poison an event that is fine.
		for wait := 100 * time.Millisecond; err != nil && sqldb.IsUnavailable(err) && ctx.Err() == nil; wait = min(2*wait, 5*time.Second) {
			r.Logger.Warn("projection waits for its store", "projection", p.Name(), "position", rec.Position, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			last, err = r.apply(ctx, p, batch[:1])
		}
		if err != nil {
			if r.Observer != nil {
				r.Observer.ProjectionError(p.Name())
			}
			return fmt.Errorf("project %s at %d: %w", p.Name(), rec.Position, err)
		}
		applied.Store(last)
		r.Tracker.Set(p.Name(), last)
		if r.Observer != nil {
			r.Observer.SetProjection(p.Name(), last, max(r.head.Load(), last))
		}
		return nil
	}
}

// apply projects batch and moves the checkpoint to its last event, in one
// transaction, shared with the other projectors' batches ready at the same
// time (sqldb.DB.RunGrouped); it returns that position. Its span continues
// the trace of the command that wrote the batch's first event and links the
// others.
func (r *Runner) apply(ctx context.Context, p Projector, batch []eventstore.RecordedEvent) (uint64, error) {
	last := batch[len(batch)-1].Position
	ctx, span := batchSpan(ctx, p, batch, "live")
	defer span.End()
	err := r.DB.RunGrouped(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := project(ctx, tx, p, batch); err != nil {
			return err
		}
		return r.Checkpoint.SaveTx(ctx, tx, p.Name(), last)
	})
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "projection failed")
	}
	return last, err
}

// batchSpan starts the span of projecting batch: a child of the trace of
// the command that wrote its first event, linked to the others'.
func batchSpan(ctx context.Context, p Projector, batch []eventstore.RecordedEvent, phase string) (context.Context, trace.Span) {
	meta := make([][]byte, len(batch))
	for i := range batch {
		meta[i] = batch[i].Metadata
	}
	return observability.StartFromEvents(ctx, "projection "+p.Name(), meta,
		attribute.String("kabinet.projection", p.Name()), attribute.String("kabinet.phase", phase),
		attribute.Int("kabinet.events", len(batch)), attribute.Int64("kabinet.position", int64(batch[len(batch)-1].Position)))
}
