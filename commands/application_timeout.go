package commands

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// TimeoutClarification rejects an application whose clarification went
// unanswered past its due date (the scheduler's command).
type TimeoutClarification struct {
	ApplicationID uuid.UUID
	// At is the scheduler's time of the decision (zero: the clock's now).
	At time.Time
}

// TimeoutClarificationHandler handles TimeoutClarification.
type TimeoutClarificationHandler struct{ d Deps }

// NewTimeoutClarificationHandler builds the handler; it panics on nil dependencies.
func NewTimeoutClarificationHandler(d Deps) *TimeoutClarificationHandler {
	d.checkApplications("NewTimeoutClarificationHandler")
	return &TimeoutClarificationHandler{d: d}
}

// SystemActor is who the scheduler's decisions are recorded as.
var SystemActor = domain.Actor{ID: "system", Role: "system"}

// Handle records ApplicationRejected with clarification_timeout, once the
// Moscow day is after the due date (clarification_not_due before).
func (h *TimeoutClarificationHandler) Handle(ctx context.Context, cmd TimeoutClarification) (ApplicationResult, error) {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = SystemActor.ID, SystemActor.Role
	md.CommandID = h.d.NewID().String()
	md.CausationID = md.CommandID
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	at := cmd.At
	return h.d.onApplication(WithMetadata(ctx, md), cmd.ApplicationID, "TimeoutClarification", func(a *domain.Account, now time.Time) error {
		if !at.IsZero() {
			now = at.UTC()
		}
		return a.TimeoutClarification(cmd.ApplicationID, SystemActor, now, today(now))
	})
}

// clarificationTimeoutJob names the job and its checkpoint.
const clarificationTimeoutJob = "clarification_timeout"

// ClarificationTimeouts is the scheduler's job (a scheduler.Job) that
// rejects applications whose clarification went unanswered past its due
// date, with clarification_timeout.
//
// Like the scheduler's document expiry it finds them through its own
// index, clarification_deadlines(application_id, account_id, due), in the
// read database, fed from the event store's global log only: each run
// first reads the events after its checkpoint — ClarificationRequested
// sets a row, ClarificationProvided, ApplicationRejected and
// ApplicationWithdrawn (the only ways out of clarification_requested)
// delete it — and commits the rows with the checkpoint in one transaction.
// So the index survives restarts, is shared by every instance, can be
// rebuilt from the log by deleting it with its checkpoint, and never
// disagrees with the streams; the commands write nothing here. Then it
// sends TimeoutClarification for each row due before the Moscow day of
// now. A crash between the two only makes the command run again, which the
// domain refuses (invalid_transition) once the rejection is recorded.
type ClarificationTimeouts struct {
	db      *sqldb.DB
	store   eventstore.Store
	handler *TimeoutClarificationHandler
	logger  *slog.Logger
	page    int
	batch   int
}

// NewClarificationTimeouts creates the job's tables in db if needed.
func NewClarificationTimeouts(ctx context.Context, db *sqldb.DB, store eventstore.Store, h *TimeoutClarificationHandler, logger *slog.Logger) (*ClarificationTimeouts, error) {
	if db == nil || store == nil || h == nil {
		panic("commands.NewClarificationTimeouts: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS clarification_deadlines (
			application_id TEXT PRIMARY KEY,
			account_id TEXT NOT NULL,
			due TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS clarification_deadlines_due ON clarification_deadlines (due)`,
		// Shared with the scheduler's other jobs: one row per job.
		`CREATE TABLE IF NOT EXISTS scheduler_checkpoints (
			job TEXT PRIMARY KEY,
			position BIGINT NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("create clarification deadline tables: %w", err)
		}
	}
	return &ClarificationTimeouts{db: db, store: store, handler: h, logger: logger, page: 500, batch: 500}, nil
}

// Name implements scheduler.Job.
func (j *ClarificationTimeouts) Name() string { return clarificationTimeoutJob }

// Run implements scheduler.Job: bring the index up to the log, then reject
// what is past due on the Moscow day of now.
func (j *ClarificationTimeouts) Run(ctx context.Context, now time.Time) error {
	if err := j.CatchUp(ctx); err != nil {
		return err
	}
	return j.rejectDue(ctx, now)
}

// CatchUp feeds the index with the log's events after its checkpoint.
func (j *ClarificationTimeouts) CatchUp(ctx context.Context) error {
	for {
		var after uint64
		err := j.db.NewRaw("SELECT position FROM scheduler_checkpoints WHERE job = ?", clarificationTimeoutJob).Scan(ctx, &after)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read clarification checkpoint: %w", err)
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
				if err := indexDeadline(ctx, tx, rec); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO scheduler_checkpoints (job, position) VALUES (?, ?)
				ON CONFLICT (job) DO UPDATE SET position = excluded.position`,
				clarificationTimeoutJob, int64(recs[len(recs)-1].Position))
			return err
		}); err != nil {
			return fmt.Errorf("index clarification deadlines: %w", err)
		}
		if len(recs) < j.page {
			return nil
		}
	}
}

// indexDeadline applies one log event to the index.
func indexDeadline(ctx context.Context, tx bun.Tx, rec eventstore.RecordedEvent) error {
	account, ok := strings.CutPrefix(rec.StreamID, "account-")
	if !ok {
		return nil
	}
	switch rec.Type {
	case "ClarificationRequested":
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return fmt.Errorf("decode %s at %d: %w", rec.Type, rec.Position, err)
		}
		req := e.(domain.ClarificationRequested)
		_, err = tx.ExecContext(ctx, `INSERT INTO clarification_deadlines (application_id, account_id, due) VALUES (?, ?, ?)
			ON CONFLICT (application_id) DO UPDATE SET due = excluded.due`,
			req.ApplicationID.String(), account, req.Due.String())
		return err
	case "ClarificationProvided", "ApplicationRejected", "ApplicationWithdrawn":
		var ref domain.ApplicationRef
		if err := json.Unmarshal(rec.Data, &ref); err != nil {
			return fmt.Errorf("decode %s at %d: %w", rec.Type, rec.Position, err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM clarification_deadlines WHERE application_id = ?`, ref.ApplicationID.String())
		return err
	}
	return nil
}

// rejectDue sends TimeoutClarification for up to one batch of applications
// past due on the Moscow day of now.
func (j *ClarificationTimeouts) rejectDue(ctx context.Context, now time.Time) error {
	var ids []string
	err := j.db.NewRaw(`SELECT application_id FROM clarification_deadlines WHERE due < ? ORDER BY due, application_id LIMIT ?`,
		today(now).String(), j.batch).Scan(ctx, &ids)
	if err != nil {
		return fmt.Errorf("find due clarifications: %w", err)
	}
	var errs []error
	for _, s := range ids {
		id, err := uuid.Parse(s)
		if err != nil {
			continue
		}
		_, err = j.handler.Handle(ctx, TimeoutClarification{ApplicationID: id, At: now})
		var de *domain.Error
		switch {
		case err == nil:
			// The rejection deletes the row when the next run reads it.
		case errors.As(err, &de):
			// Answered or decided meanwhile (the log will say so at the next
			// catch-up), or not found: asking again changes nothing.
			j.logger.Info("clarification timeout refused", "application_id", id, "code", de.Code)
			if de.Code != domain.CodeClarificationNotDue {
				if _, derr := j.db.ExecContext(ctx, `DELETE FROM clarification_deadlines WHERE application_id = ?`, s); derr != nil {
					errs = append(errs, derr)
				}
			}
		default:
			errs = append(errs, fmt.Errorf("clarification timeout of %s: %w", id, err)) // due again next pass
		}
	}
	return errors.Join(errs...)
}
