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

// TimeoutUnpaidFee rejects an application whose fee went unpaid for
// domain.UnpaidFeeTimeout (the scheduler's command).
type TimeoutUnpaidFee struct {
	ApplicationID uuid.UUID
	// At is the scheduler's time of the decision (zero: the clock's now).
	At time.Time
}

// TimeoutUnpaidFeeHandler handles TimeoutUnpaidFee.
type TimeoutUnpaidFeeHandler struct{ d Deps }

// NewTimeoutUnpaidFeeHandler builds the handler; it panics on nil dependencies.
func NewTimeoutUnpaidFeeHandler(d Deps) *TimeoutUnpaidFeeHandler {
	d.checkApplications("NewTimeoutUnpaidFeeHandler")
	return &TimeoutUnpaidFeeHandler{d: d}
}

// Handle records ApplicationRejected with fee_not_paid once 30 days passed
// since the fee was charged (payment_not_due before); the notifications
// projection tells the citizen.
func (h *TimeoutUnpaidFeeHandler) Handle(ctx context.Context, cmd TimeoutUnpaidFee) (ApplicationResult, error) {
	md := MetadataFrom(ctx)
	md.ActorID, md.ActorRole = SystemActor.ID, SystemActor.Role
	md.CommandID = h.d.NewID().String()
	md.CausationID = md.CommandID
	if md.CorrelationID == "" {
		md.CorrelationID = md.CommandID
	}
	at := cmd.At
	return h.d.onApplication(WithMetadata(ctx, md), cmd.ApplicationID, "TimeoutUnpaidFee", func(a *domain.ForeignerAccount, _ domain.Actor, now time.Time) error {
		if !at.IsZero() {
			now = at.UTC()
		}
		return a.TimeoutUnpaidFee(cmd.ApplicationID, SystemActor, now)
	})
}

// unpaidFeeJob names the job and its checkpoint.
const unpaidFeeJob = "unpaid_fee_timeout"

// UnpaidFeeTimeouts is the scheduler's job that rejects applications left
// in awaiting_payment for 30 days, with fee_not_paid. Like
// ClarificationTimeouts it finds them through its own log-fed index,
// unpaid_fees(application_id, account_id, due): FeeCharged sets a row due
// 30 days later (RFC 3339, UTC, so text order is time order); FeePaid,
// ApplicationRejected and ApplicationWithdrawn delete it.
type UnpaidFeeTimeouts struct{ *scheduler.IndexedJob }

// UnpaidFeeMigrations are the unpaid fees' index, oldest first.
var UnpaidFeeMigrations = schema.Component{Name: "unpaid_fees", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS unpaid_fees (
			application_id TEXT PRIMARY KEY,
			account_id TEXT NOT NULL,
			due TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS unpaid_fees_due ON unpaid_fees (due)`)},
}}

// NewUnpaidFeeTimeouts applies the job's migrations to db.
func NewUnpaidFeeTimeouts(ctx context.Context, db *sqldb.DB, store eventstore.Store, h *TimeoutUnpaidFeeHandler, logger *slog.Logger) (*UnpaidFeeTimeouts, error) {
	if db == nil || store == nil || h == nil {
		panic("commands.NewUnpaidFeeTimeouts: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	job, err := scheduler.NewIndexedJob(ctx, db, store, scheduler.Indexed{
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
		Act: func(ctx context.Context, id uuid.UUID, now time.Time) error {
			_, err := h.Handle(ctx, TimeoutUnpaidFee{ApplicationID: id, At: now})
			return err
		},
		Settle: func(ctx context.Context, id uuid.UUID, _ time.Time, refused *domain.Error) error {
			if refused == nil || refused.Code == domain.CodePaymentNotDue {
				return nil
			}
			logger.Info("unpaid fee timeout refused", "application_id", id, "code", refused.Code)
			_, err := db.ExecContext(ctx, `DELETE FROM unpaid_fees WHERE application_id = ?`, id.String())
			return err
		},
	}, logger)
	if err != nil {
		return nil, err
	}
	return &UnpaidFeeTimeouts{job}, nil
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
