package commands

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// Per-destination limit on one-time codes (docs/DOMAIN.md §10).
const (
	// CodesPerDestination is how many codes one phone number or email
	// address receives in CodeWindow, whichever account asks.
	CodesPerDestination = 5
	// CodeWindow is the sliding window CodesPerDestination counts in.
	CodeWindow = time.Hour
)

// CodeLimiter admits one more code to a destination or refuses it with
// too_many_codes (and retry_after).
type CodeLimiter interface {
	// Take admits a code to the contact (ch, value).
	Take(ctx context.Context, ch domain.Channel, value string) error
	// TakeIdentity admits an identity-verification code (bank or Russian
	// Post) to the person of account: the bank's contact or the address
	// on file, which are the person's, not the account's contacts.
	TakeIdentity(ctx context.Context, m domain.VerificationMethod, account uuid.UUID) error
}

// codeSend is one code sent to a destination; the destination is a keyed
// hash, so the table holds no phone number or address.
type codeSend struct {
	bun.BaseModel `bun:"table:code_sends"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Destination string    `bun:"destination,notnull"`
	SentAt      time.Time `bun:"sent_at,notnull"`
}

// CodeLimitMigrations are the code_sends table and its index, oldest first.
var CodeLimitMigrations = schema.Component{Name: "code_limit", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewCreateTable().Model((*codeSend)(nil)).IfNotExists().Exec(ctx); err != nil {
			return fmt.Errorf("create code_sends: %w", err)
		}
		_, err := tx.NewCreateIndex().Model((*codeSend)(nil)).Index("code_sends_destination").
			Column("destination", "sent_at").IfNotExists().Exec(ctx)
		return err
	}},
}}

// CodeLimit is the CodeLimiter over a table of the read store, shared by
// every instance on PostgreSQL.
type CodeLimit struct {
	db    *sqldb.DB
	key   []byte
	clock func() time.Time
}

// NewCodeLimit applies the table's pending migrations; key keys the destination hashes.
func NewCodeLimit(ctx context.Context, db *sqldb.DB, key []byte, clock func() time.Time) (*CodeLimit, error) {
	if db == nil || len(key) == 0 || clock == nil {
		panic("commands.NewCodeLimit: nil dependency")
	}
	if _, err := schema.Up(ctx, db, CodeLimitMigrations); err != nil {
		return nil, fmt.Errorf("code limit: %w", err)
	}
	return &CodeLimit{db: db, key: append([]byte(nil), key...), clock: clock}, nil
}

// Take records one code to the contact (ch, value) unless CodesPerDestination
// were sent to it within CodeWindow. Counting and recording happen in one
// transaction, serialized per destination (an advisory lock on PostgreSQL,
// the database's write lock on SQLite), so two instances cannot both take
// the last slot.
func (l *CodeLimit) Take(ctx context.Context, ch domain.Channel, value string) error {
	return l.take(ctx, l.destination(domain.ContactKey(ch, value)),
		"at most %d codes an hour go to one phone number or email address")
}

// TakeIdentity records one identity-verification code to account's
// person by method m, within the same limit as Take.
func (l *CodeLimit) TakeIdentity(ctx context.Context, m domain.VerificationMethod, account uuid.UUID) error {
	return l.take(ctx, l.destination("identity:"+m.String()+":"+account.String()),
		"at most %d verification codes an hour go to one person")
}

// take counts and records one code to the destination hash dest.
func (l *CodeLimit) take(ctx context.Context, dest, refusalText string) error {
	now := l.clock().UTC()
	var refusal error
	err := l.db.RunGrouped(ctx, func(ctx context.Context, tx bun.Tx) error {
		refusal = nil // a run again after a failed group starts afresh
		if l.db.IsPostgres() {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", dest); err != nil {
				return fmt.Errorf("lock destination: %w", err)
			}
		}
		if _, err := tx.NewDelete().Model((*codeSend)(nil)).
			Where("destination = ? AND sent_at <= ?", dest, now.Add(-CodeWindow)).Exec(ctx); err != nil {
			return fmt.Errorf("prune code_sends: %w", err)
		}
		var sent []codeSend
		if err := tx.NewSelect().Model(&sent).Where("destination = ?", dest).Order("sent_at").Scan(ctx); err != nil {
			return fmt.Errorf("count code_sends: %w", err)
		}
		if len(sent) >= CodesPerDestination {
			wait := sent[len(sent)-CodesPerDestination].SentAt.Add(CodeWindow).Sub(now)
			refusal = domain.NewError(domain.CodeTooManyCodes, refusalText, CodesPerDestination).
				WithDetail("retry_after", int(math.Ceil(wait.Seconds())))
			return nil
		}
		_, err := tx.NewInsert().Model(&codeSend{Destination: dest, SentAt: now}).Exec(ctx)
		if err != nil {
			return fmt.Errorf("record code send: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return refusal
}

// destination is the keyed hash a destination's key is stored as.
func (l *CodeLimit) destination(key string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}
