package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ErrBadCursor is returned for a cursor the reader did not issue.
var ErrBadCursor = readmodel.ErrBadCursor

// cursorID marks the list's cursors (occurred_us, position).
const cursorID = "audit"

// Query selects events, oldest first (by when they occurred, then by
// position); zero fields do not filter.
type Query struct {
	AccountID string
	ActorID   string
	ActorRole string
	Type      string
	From      time.Time // occurred at or after
	To        time.Time // occurred before
	Cursor    string
	Limit     int
}

// Ref is an event the index selected.
type Ref struct {
	Position   uint64
	AccountID  string
	OccurredAt time.Time
}

// Reader serves the audit log read model.
type Reader struct{ db bun.IDB }

// NewReader reads the index from db.
func NewReader(db bun.IDB) *Reader { return &Reader{db: db} }

// List returns up to q.Limit events q selects and the cursor of the next
// page ("" on the last).
func (r *Reader) List(ctx context.Context, q Query) ([]Ref, string, error) {
	sel := r.db.NewSelect().Model((*eventRow)(nil)).Column("position", "account_id", "occurred_us")
	for _, f := range [...]struct{ col, v string }{
		{"account_id", q.AccountID}, {"actor_id", q.ActorID}, {"actor_role", q.ActorRole}, {"type", q.Type},
	} {
		if f.v != "" {
			sel = sel.Where("? = ?", bun.Ident(f.col), f.v)
		}
	}
	if !q.From.IsZero() {
		sel = sel.Where("occurred_us >= ?", q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		sel = sel.Where("occurred_us < ?", q.To.UnixMicro())
	}
	c, ok, err := readmodel.DecodeCursor(q.Cursor)
	if err != nil {
		return nil, "", err
	}
	if ok && c.ID != cursorID {
		return nil, "", ErrBadCursor
	}
	if ok {
		sel = sel.Where("(occurred_us > ? OR (occurred_us = ? AND position > ?))", c.Key, c.Key, c.Pos)
	}
	var rows []eventRow
	if err := sel.OrderExpr("occurred_us ASC, position ASC").Limit(int64(q.Limit)+1).Scan(ctx, &rows); err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	next := ""
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		next = readmodel.Cursor{Key: last.OccurredUS, Pos: last.Position, ID: cursorID}.Encode()
	}
	out := make([]Ref, len(rows))
	for i, row := range rows {
		out[i] = Ref{Position: uint64(row.Position), AccountID: row.AccountID, OccurredAt: time.UnixMicro(row.OccurredUS).UTC()}
	}
	return out, next, nil
}
