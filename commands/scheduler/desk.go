package scheduler

import (
	"context"
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

// Job names and checkpoints of the desk's scheduled work.
const (
	reminderJob = "document_reminders"
	refundJob   = "fine_refunds"
)

// ReminderMigrations are the expiry reminders' index tables, oldest first.
var ReminderMigrations = schema.Component{Name: "document_reminders", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS document_reminders (
			account_id TEXT NOT NULL,
			document_id TEXT NOT NULL,
			expires_on TEXT NOT NULL,
			remind_on TEXT NOT NULL,
			done BOOLEAN NOT NULL DEFAULT FALSE,
			PRIMARY KEY (account_id, document_id))`,
		`CREATE INDEX IF NOT EXISTS document_reminders_due ON document_reminders (done, remind_on)`)},
}}

// NewExpiryReminders is the scheduler's job that reminds citizens 30 and
// 7 days before a document on file expires. Its log-fed index,
// document_reminders(account_id, document_id, expires_on, remind_on, done),
// gets a row from DocumentAdded (remind_on 30 days ahead) and closes it on
// DocumentExpired or the 7-day DocumentExpiryReminded. Each run calls act
// (RemindExpiringDocuments) for every account with a row due; the account
// records each reminder once (its events say which were sent), so a crash,
// a restart or a second instance never sends one twice.
func NewExpiryReminders(ctx context.Context, db *sqldb.DB, store eventstore.Store, act func(ctx context.Context, account uuid.UUID, now time.Time) error, logger *slog.Logger) (*IndexedJob, error) {
	if db == nil || store == nil || act == nil {
		panic("scheduler.NewExpiryReminders: nil dependency")
	}
	return NewIndexedJob(ctx, db, store, Indexed{
		Name:   reminderJob,
		Schema: ReminderMigrations,
		Apply:  indexReminder,
		Due:    dueAccounts(db, "document_reminders", "remind_on"),
		Act:    act,
		Settle: func(ctx context.Context, id uuid.UUID, now time.Time, refused *domain.Error) error {
			if refused != nil {
				logger.Warn("expiry reminder refused", "account_id", id, "code", refused.Code)
			}
			return settleReminders(ctx, db, id, domain.MoscowDate(now))
		},
	}, logger)
}

// indexReminder applies one log event to document_reminders.
func indexReminder(ctx context.Context, tx bun.Tx, rec eventstore.RecordedEvent) error {
	account, ok := strings.CutPrefix(rec.StreamID, "account-")
	if !ok || (rec.Type != "DocumentAdded" && rec.Type != "DocumentExpired" && rec.Type != "DocumentExpiryReminded") {
		return nil
	}
	e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return fmt.Errorf("decode %s at %d: %w", rec.Type, rec.Position, err)
	}
	switch e := e.(type) {
	case domain.DocumentAdded:
		_, err = tx.ExecContext(ctx, `INSERT INTO document_reminders (account_id, document_id, expires_on, remind_on, done)
			VALUES (?, ?, ?, ?, FALSE) ON CONFLICT (account_id, document_id) DO NOTHING`,
			account, e.DocumentID.String(), e.ExpiresAt.String(), e.ExpiresAt.AddDays(-domain.ReminderDays[0]).String())
	case domain.DocumentExpired:
		_, err = tx.ExecContext(ctx, `UPDATE document_reminders SET done = TRUE WHERE account_id = ? AND document_id = ?`,
			account, e.DocumentID.String())
	case domain.DocumentExpiryReminded:
		last := domain.ReminderDays[len(domain.ReminderDays)-1]
		if e.DaysBefore == last {
			_, err = tx.ExecContext(ctx, `UPDATE document_reminders SET done = TRUE WHERE account_id = ? AND document_id = ?`,
				account, e.DocumentID.String())
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE document_reminders SET remind_on = ? WHERE account_id = ? AND document_id = ?`,
				e.ExpiresAt.AddDays(-last).String(), account, e.DocumentID.String())
		}
	}
	return err
}

// settleReminders moves the account's due rows to their next step (the
// 7-day reminder) or closes them, after the command ran on today.
func settleReminders(ctx context.Context, db *sqldb.DB, account uuid.UUID, today domain.Date) error {
	var rows []struct {
		DocumentID string `bun:"document_id"`
		ExpiresOn  string `bun:"expires_on"`
	}
	if err := db.NewRaw(`SELECT document_id, expires_on FROM document_reminders WHERE account_id = ? AND done = FALSE AND remind_on <= ?`,
		account.String(), today.String()).Scan(ctx, &rows); err != nil {
		return fmt.Errorf("read reminders of %s: %w", account, err)
	}
	last := domain.ReminderDays[len(domain.ReminderDays)-1]
	for _, r := range rows {
		exp, err := domain.ParseDate(r.ExpiresOn)
		if err != nil {
			return fmt.Errorf("reminder of %s: %w", r.DocumentID, err)
		}
		next := exp.AddDays(-last)
		q, args := `UPDATE document_reminders SET remind_on = ? WHERE account_id = ? AND document_id = ?`, []any{next.String()}
		if !today.Before(next) {
			q, args = `UPDATE document_reminders SET done = TRUE WHERE account_id = ? AND document_id = ?`, nil
		}
		if _, err := db.ExecContext(ctx, q, append(args, account.String(), r.DocumentID)...); err != nil {
			return fmt.Errorf("settle reminder of %s: %w", r.DocumentID, err)
		}
	}
	return nil
}

// RefundMigrations are the fine refunds' index tables, oldest first.
var RefundMigrations = schema.Component{Name: "fine_refunds", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS fine_refunds (
			transaction_id TEXT PRIMARY KEY,
			account_id TEXT NOT NULL,
			refund_after TEXT NOT NULL,
			done BOOLEAN NOT NULL DEFAULT FALSE)`,
		`CREATE INDEX IF NOT EXISTS fine_refunds_due ON fine_refunds (done, refund_after)`)},
}}

// NewFineRefunds is the scheduler's job that returns refused fine
// payments: its index fine_refunds(transaction_id, account_id,
// refund_after, done) gets a row from FinePaymentRefused and closes it on
// FinePaymentRefunded; each run calls act (RefundFinePayments) for the accounts
// with a refund due (3 working days after the refusal; the account records
// each refund once).
func NewFineRefunds(ctx context.Context, db *sqldb.DB, store eventstore.Store, act func(ctx context.Context, account uuid.UUID, now time.Time) error, logger *slog.Logger) (*IndexedJob, error) {
	if db == nil || store == nil || act == nil {
		panic("scheduler.NewFineRefunds: nil dependency")
	}
	return NewIndexedJob(ctx, db, store, Indexed{
		Name:   refundJob,
		Schema: RefundMigrations,
		Apply:  indexRefund,
		Due:    dueAccounts(db, "fine_refunds", "refund_after"),
		Act:    act,
		Settle: func(ctx context.Context, id uuid.UUID, now time.Time, refused *domain.Error) error {
			if refused != nil {
				logger.Warn("fine refund refused", "account_id", id, "code", refused.Code)
			}
			_, err := db.ExecContext(ctx, `UPDATE fine_refunds SET done = TRUE WHERE account_id = ? AND done = FALSE AND refund_after <= ?`,
				id.String(), domain.MoscowDate(now).String())
			return err
		},
	}, logger)
}

func indexRefund(ctx context.Context, tx bun.Tx, rec eventstore.RecordedEvent) error {
	account, ok := strings.CutPrefix(rec.StreamID, "account-")
	if !ok || (rec.Type != "FinePaymentRefused" && rec.Type != "FinePaymentRefunded") {
		return nil
	}
	e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return fmt.Errorf("decode %s at %d: %w", rec.Type, rec.Position, err)
	}
	switch e := e.(type) {
	case domain.FinePaymentRefused:
		_, err = tx.ExecContext(ctx, `INSERT INTO fine_refunds (transaction_id, account_id, refund_after, done)
			VALUES (?, ?, ?, FALSE) ON CONFLICT (transaction_id) DO NOTHING`, e.TransactionID, account, e.RefundAfter.String())
	case domain.FinePaymentRefunded:
		_, err = tx.ExecContext(ctx, `UPDATE fine_refunds SET done = TRUE WHERE transaction_id = ?`, e.TransactionID)
	}
	return err
}

// dueAccounts lists the accounts with a row of table not done whose column
// (a date) is on or before today.
func dueAccounts(db *sqldb.DB, table, column string) func(ctx context.Context, now time.Time, limit int) ([]string, error) {
	q := `SELECT DISTINCT account_id FROM ` + table + ` WHERE done = FALSE AND ` + column + ` <= ? ORDER BY account_id LIMIT ?`
	return func(ctx context.Context, now time.Time, limit int) ([]string, error) {
		var ids []string
		if err := db.NewRaw(q, domain.MoscowDate(now).String(), limit).Scan(ctx, &ids); err != nil {
			return nil, fmt.Errorf("find due %s: %w", table, err)
		}
		return ids, nil
	}
}
