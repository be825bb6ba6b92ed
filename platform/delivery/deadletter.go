package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// DeadLetter is a notification no attempt delivered. It never holds a
// one-time code: the code is redacted from the text (it has expired by the
// time anyone reads the list; the person asks for a new one).
type DeadLetter struct {
	bun.BaseModel `bun:"table:delivery_dead_letters"`

	ID        string    `bun:"id,pk" json:"id"`
	FailedAt  time.Time `bun:"failed_at,notnull" json:"failed_at"`
	AccountID string    `bun:"account_id,notnull" json:"account_id"`
	Channel   string    `bun:"channel,notnull" json:"channel"`
	Kind      string    `bun:"kind,notnull" json:"kind"`
	To        string    `bun:"recipient,notnull" json:"to"`
	Text      string    `bun:"text,notnull" json:"text"`
	Attempts  int       `bun:"attempts,notnull" json:"attempts"`
	Error     string    `bun:"error,notnull" json:"error"`
}

// DeadLetters is the dead-letter list, a table of the read store.
type DeadLetters struct {
	db    bun.IDB
	clock func() time.Time
}

// OpenDeadLetters creates the table when missing.
func OpenDeadLetters(ctx context.Context, db bun.IDB, clock func() time.Time) (*DeadLetters, error) {
	if _, err := db.NewCreateTable().Model((*DeadLetter)(nil)).IfNotExists().Exec(ctx); err != nil {
		return nil, fmt.Errorf("create delivery_dead_letters: %w", err)
	}
	_, err := db.NewCreateIndex().Model((*DeadLetter)(nil)).Index("delivery_dead_letters_failed_at").
		IfNotExists().Column("failed_at").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("index delivery_dead_letters: %w", err)
	}
	if clock == nil {
		clock = time.Now
	}
	return &DeadLetters{db: db, clock: clock}, nil
}

// Add keeps n, which failed attempts times with cause.
func (d *DeadLetters) Add(ctx context.Context, n Notification, attempts int, cause error) error {
	n = Redact(n)
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	dl := &DeadLetter{ID: uuid.Must(uuid.NewV7()).String(), FailedAt: d.clock().UTC(), AccountID: n.AccountID,
		Channel: n.Channel, Kind: n.Kind, To: n.To, Text: n.Text, Attempts: attempts, Error: truncate(msg, 1000)}
	if _, err := d.db.NewInsert().Model(dl).Exec(ctx); err != nil {
		return fmt.Errorf("add dead letter: %w", err)
	}
	return nil
}

// List returns up to limit dead letters, newest first.
func (d *DeadLetters) List(ctx context.Context, limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := d.db.NewSelect().Model(&out).OrderExpr("failed_at DESC, id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
