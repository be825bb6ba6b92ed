package scheduler

import (
	"context"
	"database/sql"
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

// ExpireFunc runs the ExpireDocuments command for one account as of now
// (commands.ExpireDocumentsHandler.ExpireAccount).
type ExpireFunc func(ctx context.Context, account uuid.UUID, now time.Time) error

// DocumentExpiry is the job that marks lapsed documents (DocumentExpired),
// so that levels drop when the last stay-right or identity document runs
// out.
//
// It finds them without folding every stream through its own index,
// document_expiry(account_id, document_id, expires_on, expired), in the
// read database. The index is fed from the event store's global log only:
// each run first reads the events after its checkpoint (DocumentAdded adds
// a row, DocumentExpired marks one) and commits the rows and the new
// checkpoint in one transaction, so after a crash the index is exactly as
// current as its checkpoint, and deleting both rebuilds it from the log.
// The handler that adds documents writes nothing here: a row the log
// alone maintains can never disagree with it. Then the job runs
// ExpireDocuments for every account with a row past its date and not
// marked, and marks the rows once the command succeeded; a crash between
// the two only makes the (idempotent) command run again.
type DocumentExpiry struct {
	db     *sqldb.DB
	store  eventstore.Store
	expire ExpireFunc
	logger *slog.Logger
	page   int
	batch  int
}

// documentExpiryJob names the job and its checkpoint.
const documentExpiryJob = "document_expiry"

// NewDocumentExpiry creates the job's tables in db if needed.
func NewDocumentExpiry(ctx context.Context, db *sqldb.DB, store eventstore.Store, expire ExpireFunc, logger *slog.Logger) (*DocumentExpiry, error) {
	if db == nil || store == nil || expire == nil {
		panic("scheduler.NewDocumentExpiry: nil dependency")
	}
	if logger == nil {
		logger = slog.Default()
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS document_expiry (
			account_id TEXT NOT NULL,
			document_id TEXT NOT NULL,
			expires_on TEXT NOT NULL,
			expired BOOLEAN NOT NULL DEFAULT FALSE,
			PRIMARY KEY (account_id, document_id))`,
		`CREATE INDEX IF NOT EXISTS document_expiry_due ON document_expiry (expired, expires_on)`,
		`CREATE TABLE IF NOT EXISTS scheduler_checkpoints (
			job TEXT PRIMARY KEY,
			position BIGINT NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("create document expiry tables: %w", err)
		}
	}
	return &DocumentExpiry{db: db, store: store, expire: expire, logger: logger, page: 500, batch: 500}, nil
}

// Name implements Job.
func (j *DocumentExpiry) Name() string { return documentExpiryJob }

// Run implements Job: bring the index up to the log, then expire what is
// due on the Moscow day of now.
func (j *DocumentExpiry) Run(ctx context.Context, now time.Time) error {
	if err := j.CatchUp(ctx); err != nil {
		return err
	}
	return j.expireDue(ctx, now)
}

// CatchUp feeds the index with the log's events after its checkpoint.
func (j *DocumentExpiry) CatchUp(ctx context.Context) error {
	for {
		var after uint64
		err := j.db.NewRaw("SELECT position FROM scheduler_checkpoints WHERE job = ?", documentExpiryJob).Scan(ctx, &after)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read expiry checkpoint: %w", err)
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
				if err := index(ctx, tx, rec); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO scheduler_checkpoints (job, position) VALUES (?, ?)
				ON CONFLICT (job) DO UPDATE SET position = excluded.position`,
				documentExpiryJob, int64(recs[len(recs)-1].Position))
			return err
		}); err != nil {
			return fmt.Errorf("index documents: %w", err)
		}
		if len(recs) < j.page {
			return nil
		}
	}
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

// expireDue runs ExpireDocuments for up to one batch of due accounts.
func (j *DocumentExpiry) expireDue(ctx context.Context, now time.Time) error {
	today := domain.MoscowDate(now).String()
	var accounts []string
	err := j.db.NewRaw(`SELECT DISTINCT account_id FROM document_expiry
		WHERE expired = FALSE AND expires_on < ? ORDER BY account_id LIMIT ?`, today, j.batch).Scan(ctx, &accounts)
	if err != nil {
		return fmt.Errorf("find due documents: %w", err)
	}
	var errs []error
	for _, a := range accounts {
		id, err := uuid.Parse(a)
		if err != nil {
			continue
		}
		if err := j.expire(ctx, id, now); err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				errs = append(errs, fmt.Errorf("expire documents of %s: %w", id, err))
				continue // due again at the next pass
			}
			// A refusal (a closed or unknown account) will not change by
			// retrying: stop asking.
			j.logger.Warn("document expiry refused", "account_id", id, "code", de.Code)
		}
		if _, err := j.db.ExecContext(ctx, `UPDATE document_expiry SET expired = TRUE
			WHERE account_id = ? AND expired = FALSE AND expires_on < ?`, a, today); err != nil {
			errs = append(errs, fmt.Errorf("mark documents of %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
