package projections

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/poison"
)

// Observer is told where each projection stands (metrics).
type Observer interface {
	SetProjection(name string, position, head uint64)
	ProjectionError(name string)
}

// Runner keeps every projector up to date: it first catches up in large
// batches, then follows the live log through a watermill router; each
// delivered message is applied together with the events already committed
// after it (see live.go), in one transaction with the projector's
// checkpoint.
type Runner struct {
	DB         *sqldb.DB
	Store      eventstore.Store
	Checkpoint *esbus.SQLCheckpoints
	Poison     *poison.Queue
	Projectors []Projector
	Tracker    *Tracker
	Logger     *slog.Logger
	Observer   Observer // optional

	head  atomic.Uint64 // the log's head, sampled for the lag metric
	ahead readAhead     // the live batches' reads, shared by the projectors
}

// sampleHead keeps r.head fresh for the lag metric without a query per
// event, and re-reports every projection so an idle one's lag stays true.
func (r *Runner) sampleHead(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		r.reportPoisoned(ctx)
		if h, err := r.Store.Head(ctx); err == nil {
			r.head.Store(h)
			if r.Observer != nil {
				for _, p := range r.Projectors {
					r.Observer.SetProjection(p.Name(), r.Tracker.Position(p.Name()), h)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Schema is every projector's tables.
func (r *Runner) Schema() []schema.Component {
	out := make([]schema.Component, 0, len(r.Projectors))
	for _, p := range r.Projectors {
		out = append(out, p.Schema())
	}
	return out
}

// Migrate applies every projector's pending migrations.
func (r *Runner) Migrate(ctx context.Context) error {
	_, err := schema.Up(ctx, r.DB, r.Schema()...)
	return err
}

// Run catches up and then follows the log until ctx ends (then it returns
// nil); on return every handler has finished its message and committed its
// checkpoint, and nothing of the Runner reads the store any more.
func (r *Runner) Run(ctx context.Context) error {
	// Not cancelled half-way: a CREATE abandoned by the client may still be
	// running in PostgreSQL when the next Run creates the same table.
	if err := r.Migrate(context.WithoutCancel(ctx)); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for _, p := range r.Projectors {
		pos, err := r.Checkpoint.Load(ctx, p.Name())
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load checkpoint %s: %w", p.Name(), err)
		}
		err = catchUp(ctx, r.DB, r.Store, r.Checkpoint, p, pos, func(done, _ uint64) { r.Tracker.Set(p.Name(), done) }, r.poisonPage)
		if ctx.Err() != nil {
			return nil // stopped while catching up: the checkpoint holds what was done
		}
		if err != nil {
			return err
		}
		if pos, err = r.Checkpoint.Load(ctx, p.Name()); err == nil {
			r.Tracker.Set(p.Name(), pos)
		}
	}
	logger := watermill.NewSlogLogger(r.Logger)
	router, err := esbus.NewRouter(logger, r.Poison, esbus.RetryConfig{MaxRetries: 3, InitialInterval: 50 * time.Millisecond, Multiplier: 2, MaxInterval: time.Second})
	if err != nil {
		return fmt.Errorf("projection router: %w", err)
	}
	var subs []*esbus.Subscriber
	for _, p := range r.Projectors {
		applied := new(atomic.Uint64) // the highest position its handler committed
		sub, err := esbus.NewSubscriber(r.Store, esbus.SubscriberConfig{
			ConsumerGroup: p.Name(), Checkpoints: r.Checkpoint, SaveOnAck: false, Logger: logger,
			Handled: func(position uint64) bool { return position <= applied.Load() },
		})
		if err != nil {
			return fmt.Errorf("projection subscriber %s: %w", p.Name(), err)
		}
		subs = append(subs, sub)
		router.AddConsumerHandler(p.Name(), esbus.AllTopic, sub, r.liveHandler(p, applied))
	}
	// The head sampler ends with Run: a store closed after Run returns
	// must not be asked for its head any more.
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	sampling.Go(func() { r.sampleHead(sampleCtx) })
	err = router.Run(ctx)
	stopSampling()
	sampling.Wait()
	for _, s := range subs {
		s.Close()
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}
