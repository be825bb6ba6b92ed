package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// clarificationTimeoutJob names the job and its checkpoint.
const clarificationTimeoutJob = "clarification_timeout"

// NewClarificationTimeouts is the job that rejects applications
// whose clarification went unanswered past its due date, with
// clarification_timeout.
//
// Like the scheduler's document expiry it finds them through its own
// log-fed index (an IndexedJob),
// clarification_deadlines(application_id, account_id, due), in the read
// database: ClarificationRequested sets a row; ClarificationProvided,
// ApplicationRejected and ApplicationWithdrawn (the only ways out of
// clarification_requested) delete it; the commands write nothing here.
// Each run calls act (the TimeoutClarification command) for each row due
// before the Moscow day of now; a command run twice is refused by the domain
// (invalid_transition) once the rejection is recorded.
// ClarificationMigrations are the clarification deadlines' index, oldest
// first.
var ClarificationMigrations = schema.Component{Name: "clarification_deadlines", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS clarification_deadlines (
			application_id TEXT PRIMARY KEY,
			account_id TEXT NOT NULL,
			due TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS clarification_deadlines_due ON clarification_deadlines (due)`)},
}}

func NewClarificationTimeouts(ctx context.Context, db *sqldb.DB, store eventstore.Store, act func(ctx context.Context, application uuid.UUID, now time.Time) error, logger *slog.Logger) (*IndexedJob, error) {
	if db == nil || store == nil || act == nil {
		panic("scheduler.NewClarificationTimeouts: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return NewIndexedJob(ctx, db, store, Indexed{
		Name:   clarificationTimeoutJob,
		Schema: ClarificationMigrations,
		Apply:  indexDeadline,
		Due: func(ctx context.Context, now time.Time, limit int) ([]string, error) {
			var ids []string
			err := db.NewRaw(`SELECT application_id FROM clarification_deadlines WHERE due < ? ORDER BY due, application_id LIMIT ?`,
				domain.MoscowDate(now).String(), limit).Scan(ctx, &ids)
			if err != nil {
				return nil, fmt.Errorf("find due clarifications: %w", err)
			}
			return ids, nil
		},
		Act: act,
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

// unpaidFeeJob names the job and its checkpoint.
const unpaidFeeJob = "unpaid_fee_timeout"

// NewUnpaidFeeTimeouts is the job that rejects applications left
// in awaiting_payment for 30 days, with fee_not_paid. Like
// NewClarificationTimeouts it finds them through its own log-fed index,
// unpaid_fees(application_id, account_id, due): FeeCharged sets a row due
// 30 days later (RFC 3339, UTC, so text order is time order); FeePaid,
// ApplicationRejected and ApplicationWithdrawn delete it.
// UnpaidFeeMigrations are the unpaid fees' index, oldest first.
var UnpaidFeeMigrations = schema.Component{Name: "unpaid_fees", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS unpaid_fees (
			application_id TEXT PRIMARY KEY,
			account_id TEXT NOT NULL,
			due TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS unpaid_fees_due ON unpaid_fees (due)`)},
}}

func NewUnpaidFeeTimeouts(ctx context.Context, db *sqldb.DB, store eventstore.Store, act func(ctx context.Context, application uuid.UUID, now time.Time) error, logger *slog.Logger) (*IndexedJob, error) {
	if db == nil || store == nil || act == nil {
		panic("scheduler.NewUnpaidFeeTimeouts: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return NewIndexedJob(ctx, db, store, Indexed{
		Name:   unpaidFeeJob,
		Schema: UnpaidFeeMigrations,
		Apply:  indexUnpaidFee,
		Due: func(ctx context.Context, now time.Time, limit int) ([]string, error) {
			var ids []string
			err := db.NewRaw(`SELECT application_id FROM unpaid_fees WHERE due <= ? ORDER BY due, application_id LIMIT ?`,
				dueText(now), limit).Scan(ctx, &ids)
			if err != nil {
				return nil, fmt.Errorf("find unpaid fees: %w", err)
			}
			return ids, nil
		},
		Act: act,
		Settle: func(ctx context.Context, id uuid.UUID, _ time.Time, refused *domain.Error) error {
			if refused == nil || refused.Code == domain.CodePaymentNotDue {
				return nil
			}
			logger.Info("unpaid fee timeout refused", "application_id", id, "code", refused.Code)
			_, err := db.ExecContext(ctx, `DELETE FROM unpaid_fees WHERE application_id = ?`, id.String())
			return err
		},
	}, logger)
}

// dueText writes t the way the index stores due times.
func dueText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// indexUnpaidFee applies one log event to the index.
func indexUnpaidFee(ctx context.Context, tx bun.Tx, rec eventstore.RecordedEvent) error {
	account, ok := strings.CutPrefix(rec.StreamID, "account-")
	if !ok {
		return nil
	}
	switch rec.Type {
	case "FeeCharged":
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return fmt.Errorf("decode %s at %d: %w", rec.Type, rec.Position, err)
		}
		fee := e.(domain.FeeCharged)
		_, err = tx.ExecContext(ctx, `INSERT INTO unpaid_fees (application_id, account_id, due) VALUES (?, ?, ?)
			ON CONFLICT (application_id) DO UPDATE SET due = excluded.due`,
			fee.ApplicationID.String(), account, dueText(fee.OccurredAt.Add(domain.UnpaidFeeTimeout)))
		return err
	case "FeePaid", "ApplicationRejected", "ApplicationWithdrawn":
		var ref domain.ApplicationRef
		if err := json.Unmarshal(rec.Data, &ref); err != nil {
			return fmt.Errorf("decode %s at %d: %w", rec.Type, rec.Position, err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM unpaid_fees WHERE application_id = ?`, ref.ApplicationID.String())
		return err
	}
	return nil
}
