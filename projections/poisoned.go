package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections/esbus"
)

// PoisonObserver is told how many poisoned events wait per projection; an
// Observer that also implements it gets the count (a metric).
type PoisonObserver interface {
	SetPoisoned(name string, pending int)
}

// poisonPage applies a page that failed as a whole event by event during
// catch-up: an event that still fails is handed to the poison queue, as the
// live router does after its retries, and the checkpoint moves past it, so
// one event the projector cannot apply never stops the projection.
func (r *Runner) poisonPage(ctx context.Context, p Projector, page []eventstore.RecordedEvent) error {
	for _, rec := range page {
		_, err := r.apply(ctx, p, []eventstore.RecordedEvent{rec})
		if err == nil || ctx.Err() != nil {
			if err != nil {
				return err
			}
			continue
		}
		if r.Poison == nil || sqldb.IsUnavailable(err) {
			return err // the store, not the event: the catch-up is tried again later
		}
		if r.Observer != nil {
			r.Observer.ProjectionError(p.Name())
		}
		r.Logger.Error("projection poisoned an event", "projection", p.Name(), "position", rec.Position,
			"type", rec.Type, "err", err)
		msg := esbus.Message(rec)
		msg.Metadata.Set(middleware.PoisonedHandlerKey, p.Name())
		msg.Metadata.Set(middleware.PoisonedTopicKey, esbus.AllTopic)
		msg.Metadata.Set(middleware.ReasonForPoisonedKey, err.Error())
		msg.SetContext(ctx)
		if perr := r.Poison.Publish(esbus.PoisonTopic, msg); perr != nil {
			return errors.Join(err, perr)
		}
		if serr := r.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return r.Checkpoint.SaveTx(ctx, tx, p.Name(), rec.Position)
		}); serr != nil {
			return fmt.Errorf("move %s past poisoned %d: %w", p.Name(), rec.Position, serr)
		}
	}
	return nil
}

// reportPoisoned tells a PoisonObserver the pending poisoned events of each
// projector (0 included, so a replayed one clears the metric).
func (r *Runner) reportPoisoned(ctx context.Context) {
	po, ok := r.Observer.(PoisonObserver)
	if !ok || r.Poison == nil {
		return
	}
	pending, err := r.Poison.Pending(ctx)
	if err != nil {
		return
	}
	for _, p := range r.Projectors {
		po.SetPoisoned(p.Name(), pending[p.Name()])
	}
}

// ReplayPoisoned brings poisoned entry id of projector p back once the
// projector has been fixed: it rebuilds p from the log (projectors skip a
// stream's events older than what they have applied, so re-applying one
// event alone would change nothing), and marks the entry replayed only when
// the rebuild applied every event, the poisoned one included. Run it with
// the service stopped, as a rebuild.
func ReplayPoisoned(ctx context.Context, r *Runner, p Projector, id int64, progress func(done, total uint64)) error {
	if r.Poison == nil {
		return errors.New("replay poisoned: no poison queue")
	}
	e, err := r.Poison.Get(ctx, id)
	if err != nil {
		return err
	}
	if e.Consumer != p.Name() {
		return fmt.Errorf("replay poisoned %d: it belongs to %q, not %q", id, e.Consumer, p.Name())
	}
	return r.Poison.Replay(ctx, id, func(*message.Message) error {
		return Rebuild(ctx, r.DB, r.Store, r.Checkpoint, p, progress)
	})
}
