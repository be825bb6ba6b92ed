package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
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
	return h.d.onApplication(WithMetadata(ctx, md), cmd.ApplicationID, "TimeoutClarification", func(a *domain.ForeignerAccount, _ domain.Actor, now time.Time) error {
		if !at.IsZero() {
			now = at.UTC()
		}
		return a.TimeoutClarification(cmd.ApplicationID, SystemActor, now, today(now))
	})
}

// clarificationTimeoutJob names the job and its checkpoint.
const clarificationTimeoutJob = "clarification_timeout"

// ClarificationTimeouts is the scheduler's job that rejects applications
// whose clarification went unanswered past its due date, with
// clarification_timeout.
//
// Like the scheduler's document expiry it finds them through its own
// log-fed index (a scheduler.IndexedJob),
// clarification_deadlines(application_id, account_id, due), in the read
// database: ClarificationRequested sets a row; ClarificationProvided,
// ApplicationRejected and ApplicationWithdrawn (the only ways out of
// clarification_requested) delete it; the commands write nothing here.
// Each run sends TimeoutClarification for each row due before the Moscow
// day of now; a command run twice is refused by the domain
// (invalid_transition) once the rejection is recorded.
type ClarificationTimeouts struct{ *scheduler.IndexedJob }

// ClarificationMigrations are the clarification deadlines' index, oldest
// first.
var ClarificationMigrations = schema.Component{Name: "clarification_deadlines", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS clarification_deadlines (
			application_id TEXT PRIMARY KEY,
			account_id TEXT NOT NULL,
			due TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS clarification_deadlines_due ON clarification_deadlines (due)`)},
}}

// NewClarificationTimeouts creates the job's tables in db if needed.
func NewClarificationTimeouts(ctx context.Context, db *sqldb.DB, store eventstore.Store, h *TimeoutClarificationHandler, logger *slog.Logger) (*ClarificationTimeouts, error) {
	if db == nil || store == nil || h == nil {
		panic("commands.NewClarificationTimeouts: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	job, err := scheduler.NewIndexedJob(ctx, db, store, scheduler.Indexed{
		Name:   clarificationTimeoutJob,
		Schema: ClarificationMigrations,
		Apply:  indexDeadline,
		Due: func(ctx context.Context, now time.Time, limit int) ([]string, error) {
			var ids []string
			err := db.NewRaw(`SELECT application_id FROM clarification_deadlines WHERE due < ? ORDER BY due, application_id LIMIT ?`,
				today(now).String(), limit).Scan(ctx, &ids)
			if err != nil {
				return nil, fmt.Errorf("find due clarifications: %w", err)
			}
			return ids, nil
		},
		Act: func(ctx context.Context, id uuid.UUID, now time.Time) error {
			_, err := h.Handle(ctx, TimeoutClarification{ApplicationID: id, At: now})
			return err
		},
		Settle: func(ctx context.Context, id uuid.UUID, _ time.Time, refused *domain.Error) error {
			if refused == nil {
				return nil // the rejection deletes the row when the next run reads it
			}
			// Answered or decided meanwhile (the log will say so at the next
			// catch-up), or not found: asking again changes nothing.
			logger.Info("clarification timeout refused", "application_id", id, "code", refused.Code)
			if refused.Code == domain.CodeClarificationNotDue {
				return nil
			}
			_, err := db.ExecContext(ctx, `DELETE FROM clarification_deadlines WHERE application_id = ?`, id.String())
			return err
		},
	}, logger)
	if err != nil {
		return nil, err
	}
	return &ClarificationTimeouts{job}, nil
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
