package scheduler

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// Indexed says what is specific to one log-indexed job: its index (tables,
// and which events set or clear a row), which ids are due, and which
// command runs for them. IndexedJob does the rest.
type Indexed struct {
	// Name names the job and its row in scheduler_checkpoints.
	Name string
	// Schema is the index's tables as versioned migrations.
	Schema schema.Component
	// Apply applies one log event to the index inside tx; events the job
	// does not index it ignores.
	Apply func(ctx context.Context, tx bun.Tx, rec eventstore.RecordedEvent) error
	// Due lists up to limit ids due at now, in a stable order.
	Due func(ctx context.Context, now time.Time, limit int) ([]string, error)
	// Act runs the job's idempotent command for one due id.
	Act func(ctx context.Context, id uuid.UUID, now time.Time) error
	// Settle updates the id's rows after Act succeeded (refused is nil) or
	// was refused with a domain error, which asking again would not
	// change. After any other error the id stays due for the next pass.
	Settle func(ctx context.Context, id uuid.UUID, now time.Time, refused *domain.Error) error
}

// IndexedJob is a Job that keeps its own index in the read database, fed
// from the event store's global log only: each run first reads the events
// after the job's checkpoint and commits the rows they change together
// with the new checkpoint in one transaction, so after a crash the index
// is exactly as current as its checkpoint, deleting both rebuilds it from
// the log, and (the commands writing nothing there) it never disagrees
// with the streams. Then it runs the job's command for each due id. A
// crash between the two only makes the idempotent command run again.
type IndexedJob struct {
	spec  Indexed
	db    *sqldb.DB
	store eventstore.Store
	log   *slog.Logger
	page  int // events read per index transaction
	batch int // ids acted on per run
}

// Migrations are the checkpoints table the log-indexed jobs share (one row
// per job), oldest first.
var Migrations = schema.Component{Name: "scheduler", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS scheduler_checkpoints (
			job TEXT PRIMARY KEY,
			position BIGINT NOT NULL)`)},
}}

// NewIndexedJob creates the job's tables, and the checkpoints table the
// scheduler's jobs share (one row per job), in db if needed.
func NewIndexedJob(ctx context.Context, db *sqldb.DB, store eventstore.Store, spec Indexed, logger *slog.Logger) (*IndexedJob, error) {
	if db == nil || store == nil || spec.Apply == nil || spec.Due == nil || spec.Act == nil || spec.Settle == nil {
		panic("scheduler.NewIndexedJob: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	if _, err := schema.Up(ctx, db, Migrations, spec.Schema); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	return &IndexedJob{spec: spec, db: db, store: store, log: logger, page: 500, batch: 500}, nil
}

// Name implements Job.
func (j *IndexedJob) Name() string { return j.spec.Name }

// Run implements Job: bring the index up to the log, then act on what is
// due at now.
func (j *IndexedJob) Run(ctx context.Context, now time.Time) error {
	if err := j.CatchUp(ctx); err != nil {
		return err
	}
	return j.actOnDue(ctx, now)
}

// CatchUp feeds the index with the log's events after its checkpoint.
func (j *IndexedJob) CatchUp(ctx context.Context) error {
	for {
		var after uint64
		err := j.db.NewRaw("SELECT position FROM scheduler_checkpoints WHERE job = ?", j.spec.Name).Scan(ctx, &after)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read %s checkpoint: %w", j.spec.Name, err)
		}
		recs, err := j.store.ReadAll(ctx, after, j.page)
		if err != nil {
			return fmt.Errorf("read log after %d: %w", after, err)
		}
		if len(recs) == 0 {
			return nil
		}
		if err := j.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, rec := range recs {
				if err := j.spec.Apply(ctx, tx, rec); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO scheduler_checkpoints (job, position) VALUES (?, ?)
				ON CONFLICT (job) DO UPDATE SET position = excluded.position`,
				j.spec.Name, int64(recs[len(recs)-1].Position))
			return err
		}); err != nil {
			return fmt.Errorf("index %s: %w", j.spec.Name, err)
		}
		if len(recs) < j.page {
			return nil
		}
	}
}

// actOnDue runs the command for up to one batch of due ids and settles
// each that succeeded or was refused.
func (j *IndexedJob) actOnDue(ctx context.Context, now time.Time) error {
	ids, err := j.spec.Due(ctx, now, j.batch)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range ids {
		id, err := uuid.Parse(s)
		if err != nil {
			continue
		}
		var refused *domain.Error
		if err := j.spec.Act(ctx, id, now); err != nil && !errors.As(err, &refused) {
			errs = append(errs, fmt.Errorf("%s of %s: %w", j.spec.Name, id, err)) // due again next pass
			continue
		}
		if err := j.spec.Settle(ctx, id, now, refused); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
