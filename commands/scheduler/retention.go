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

// DefaultRetention is how long a closed account's personal data is kept
// before it is erased (KABINET_RETENTION).
const DefaultRetention = 3 * 365 * 24 * time.Hour

// EraseFunc erases one account whose retention ended at now
// (commands.ErasePersonalDataHandler.EraseAccount).
type EraseFunc func(ctx context.Context, account uuid.UUID, now time.Time) error

// ShredFunc finishes an erasure (commands.Shredder.Shred); position is
// that of PersonalDataErased.
type ShredFunc func(ctx context.Context, account uuid.UUID, position uint64) error

// Retention is the job that erases closed accounts once their retention
// ended, and finishes every erasure whose shredding did not complete (a
// crash, a store that was down): its log-fed index account_retention
// (account_id, closed_at, erased_at_position, shredded) takes AccountClosed
// and PersonalDataErased; each run erases the accounts closed at least
// the retention ago and not erased, and shreds the erased ones not yet
// shredded. Both commands are idempotent.
type Retention struct{ *IndexedJob }

const retentionJob = "retention"

// RetentionMigrations create the retention job's index.
var RetentionMigrations = schema.Component{Name: "account_retention", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS account_retention (
			account_id TEXT PRIMARY KEY,
			closed_at BIGINT,
			erased_position BIGINT,
			shredded BOOLEAN NOT NULL DEFAULT FALSE)`,
		`CREATE INDEX IF NOT EXISTS account_retention_due ON account_retention (erased_position, closed_at)`)},
}}

// NewRetention creates the job's tables in db if needed.
func NewRetention(ctx context.Context, db *sqldb.DB, store eventstore.Store, retention time.Duration,
	erase EraseFunc, shred ShredFunc, logger *slog.Logger) (*Retention, error) {
	if db == nil || store == nil || erase == nil || shred == nil || retention <= 0 {
		panic("scheduler.NewRetention: nil dependency or no retention")
	}
	if logger == nil {
		logger = slog.Default()
	}
	job, err := NewIndexedJob(ctx, db, store, Indexed{
		Name:   retentionJob,
		Schema: RetentionMigrations,
		Apply:  indexRetention,
		Due: func(ctx context.Context, now time.Time, limit int) ([]string, error) {
			var accounts []string
			err := db.NewRaw(`SELECT account_id FROM account_retention
				WHERE (erased_position IS NULL AND closed_at <= ?) OR (erased_position > 0 AND shredded = FALSE)
				ORDER BY account_id LIMIT ?`, now.Add(-retention).Unix(), limit).Scan(ctx, &accounts)
			if err != nil {
				return nil, fmt.Errorf("find accounts to erase: %w", err)
			}
			return accounts, nil
		},
		Act: func(ctx context.Context, id uuid.UUID, now time.Time) error {
			var pos sql.NullInt64
			err := db.NewRaw(`SELECT erased_position FROM account_retention WHERE account_id = ?`, id.String()).Scan(ctx, &pos)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read retention of %s: %w", id, err)
			}
			if pos.Valid && pos.Int64 > 0 {
				return shred(ctx, id, uint64(pos.Int64))
			}
			return erase(ctx, id, now) // shreds too
		},
		Settle: func(ctx context.Context, id uuid.UUID, now time.Time, refused *domain.Error) error {
			if refused != nil {
				logger.Warn("retention erasure refused", "account_id", id, "code", refused.Code)
			}
			// Done either way: an erasure the index has not seen yet is
			// marked shredded when its event arrives only if it was shredded.
			_, err := db.ExecContext(ctx, `UPDATE account_retention
				SET shredded = TRUE, erased_position = COALESCE(erased_position, 0) WHERE account_id = ?`, id.String())
			if err != nil {
				return fmt.Errorf("settle retention of %s: %w", id, err)
			}
			return nil
		},
	}, logger)
	if err != nil {
		return nil, err
	}
	return &Retention{job}, nil
}

// indexRetention applies one log event to account_retention.
func indexRetention(ctx context.Context, tx bun.Tx, rec eventstore.RecordedEvent) error {
	account, ok := accountOf(rec.StreamID)
	if !ok {
		return nil
	}
	var err error
	switch rec.Type {
	case "AccountClosed":
		_, err = tx.ExecContext(ctx, `INSERT INTO account_retention (account_id, closed_at) VALUES (?, ?)
			ON CONFLICT (account_id) DO UPDATE SET closed_at = excluded.closed_at`,
			account.String(), rec.OccurredAt.Unix())
	case "PersonalDataErased":
		// Erased: shred (again — it is idempotent) until it succeeds once.
		_, err = tx.ExecContext(ctx, `INSERT INTO account_retention (account_id, erased_position, shredded)
			VALUES (?, ?, FALSE) ON CONFLICT (account_id) DO UPDATE SET erased_position = excluded.erased_position, shredded = FALSE`,
			account.String(), int64(rec.Position))
	}
	return err
}
