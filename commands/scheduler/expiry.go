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

// ExpireFunc runs the ExpireDocuments command for one account as of now
// (commands.ExpireDocumentsHandler.ExpireAccount).
type ExpireFunc func(ctx context.Context, account uuid.UUID, now time.Time) error

// DocumentExpiry is the job that marks lapsed documents (DocumentExpired),
// so that levels drop when the last stay-right or identity document runs
// out.
//
// It finds them without folding every stream through its own log-fed
// index (an IndexedJob), document_expiry(account_id, document_id,
// expires_on, expired), in the read database: DocumentAdded adds a row,
// DocumentExpired marks one. The handler that adds documents writes
// nothing here. Each run sends ExpireDocuments for every account with a
// row past its date and not marked, and marks the rows once the command
// succeeded.
type DocumentExpiry struct{ *IndexedJob }

// documentExpiryJob names the job and its checkpoint.
const documentExpiryJob = "document_expiry"

// ExpiryMigrations are the document expiry index's tables, oldest first.
var ExpiryMigrations = schema.Component{Name: "document_expiry", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS document_expiry (
			account_id TEXT NOT NULL,
			document_id TEXT NOT NULL,
			expires_on TEXT NOT NULL,
			expired BOOLEAN NOT NULL DEFAULT FALSE,
			PRIMARY KEY (account_id, document_id))`,
		`CREATE INDEX IF NOT EXISTS document_expiry_due ON document_expiry (expired, expires_on)`)},
}}

// NewDocumentExpiry creates the job's tables in db if needed.
func NewDocumentExpiry(ctx context.Context, db *sqldb.DB, store eventstore.Store, expire ExpireFunc, logger *slog.Logger) (*DocumentExpiry, error) {
	if db == nil || store == nil || expire == nil {
		panic("scheduler.NewDocumentExpiry: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	job, err := NewIndexedJob(ctx, db, store, Indexed{
		Name:   documentExpiryJob,
		Schema: ExpiryMigrations,
		Apply:  index,
		Due: func(ctx context.Context, now time.Time, limit int) ([]string, error) {
			var accounts []string
			err := db.NewRaw(`SELECT DISTINCT account_id FROM document_expiry
				WHERE expired = FALSE AND expires_on < ? ORDER BY account_id LIMIT ?`,
				domain.MoscowDate(now).String(), limit).Scan(ctx, &accounts)
			if err != nil {
				return nil, fmt.Errorf("find due documents: %w", err)
			}
			return accounts, nil
		},
		Act: expire,
		Settle: func(ctx context.Context, id uuid.UUID, now time.Time, refused *domain.Error) error {
			if refused != nil {
				// A refusal (a closed or unknown account) will not change by
				// retrying: stop asking.
				logger.Warn("document expiry refused", "account_id", id, "code", refused.Code)
			}
			if _, err := db.ExecContext(ctx, `UPDATE document_expiry SET expired = TRUE
				WHERE account_id = ? AND expired = FALSE AND expires_on < ?`,
				id.String(), domain.MoscowDate(now).String()); err != nil {
				return fmt.Errorf("mark documents of %s: %w", id, err)
			}
			return nil
		},
	}, logger)
	if err != nil {
		return nil, err
	}
	return &DocumentExpiry{job}, nil
}

// index applies one log event to the index.
func index(ctx context.Context, tx bun.Tx, rec eventstore.RecordedEvent) error {
	if rec.Type != "DocumentAdded" && rec.Type != "DocumentExpired" {
		return nil
	}
	account, ok := accountOf(rec.StreamID)
	if !ok {
		return nil
	}
	e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return fmt.Errorf("decode %s at %d: %w", rec.Type, rec.Position, err)
	}
	switch e := e.(type) {
	case domain.DocumentAdded:
		_, err = tx.ExecContext(ctx, `INSERT INTO document_expiry (account_id, document_id, expires_on, expired)
			VALUES (?, ?, ?, FALSE) ON CONFLICT (account_id, document_id) DO NOTHING`,
			account.String(), e.DocumentID.String(), e.ExpiresAt.String())
	case domain.DocumentExpired:
		_, err = tx.ExecContext(ctx, `UPDATE document_expiry SET expired = TRUE WHERE account_id = ? AND document_id = ?`,
			account.String(), e.DocumentID.String())
	}
	return err
}

func accountOf(stream string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, "account-")
	if !ok {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	return id, err == nil
}
