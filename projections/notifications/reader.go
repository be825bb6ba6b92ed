package notifications

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// Item is one notification as its owner sees it.
type Item struct {
	NotificationID string     `json:"notification_id"`
	Kind           string     `json:"kind"`
	Event          string     `json:"event,omitempty"`
	ApplicationID  string     `json:"application_id,omitempty"`
	Title          string     `json:"title"`
	Text           string     `json:"text"`
	Channels       []string   `json:"channels"`
	Frequency      string     `json:"frequency"`
	Status         string     `json:"status"`
	DigestID       string     `json:"digest_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	Read           bool       `json:"read"`
	ReadAt         *time.Time `json:"read_at,omitempty"`
}

// Reader serves an account's notifications and records that they were read.
type Reader struct {
	db     bun.IDB
	unread *readmodel.Prepared
}

// NewReader reads notifications from db.
func NewReader(db bun.IDB) *Reader {
	return &Reader{db: db, unread: readmodel.NewPrepared(
		"SELECT count(*) FROM notifications WHERE account_id = ? AND read_ns = 0 AND kind <> ?")}
}

// UnreadOfAccount is Unread as a scalar subquery with one placeholder (the
// account id), for a read model in the same database that answers the
// count with its own row in one statement (the cabinet).
const UnreadOfAccount = "(SELECT count(*) FROM notifications WHERE account_id = ? AND read_ns = 0 AND kind <> '" + KindDigest + "')"

// List returns a page of the account's notifications, newest first (by
// when their event occurred, then by its place in the log), and
// the next page's cursor ("" on the last); readmodel.ErrBadCursor for a
// cursor it did not issue.
func (rd *Reader) List(ctx context.Context, accountID uuid.UUID, cursor string, limit int) ([]Item, string, error) {
	after, ok, err := readmodel.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	var rows []row
	sel := rd.db.NewSelect().Model(&rows).Where("account_id = ?", accountID.String())
	if ok {
		sel = sel.Where("(created_ns < ? OR (created_ns = ? AND (position < ? OR (position = ? AND id < ?))))",
			after.Key, after.Key, after.Pos, after.Pos, after.ID)
	}
	if err := sel.OrderExpr("created_ns DESC, position DESC, id DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return nil, "", fmt.Errorf("list notifications of %s: %w", accountID, err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = readmodel.Cursor{Key: last.CreatedNs, Pos: last.Position, ID: last.ID}.Encode()
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		items[i] = itemOf(r)
	}
	return items, next, nil
}

func itemOf(r row) Item {
	var recipients []Recipient
	_ = json.Unmarshal([]byte(r.Recipients), &recipients)
	it := Item{
		NotificationID: r.ID, Kind: r.Kind, Event: r.Event, ApplicationID: r.ApplicationID, Title: r.Title,
		Text: r.Text, Channels: make([]string, len(recipients)), Frequency: r.Frequency, Status: r.Status,
		DigestID: r.DigestID, CreatedAt: time.Unix(0, r.CreatedNs).UTC(), Read: r.ReadNs != 0,
		SentAt: nsTime(r.SentNs), ReadAt: nsTime(r.ReadNs),
	}
	for i, rc := range recipients {
		it.Channels[i] = rc.Channel
	}
	return it
}

func nsTime(ns int64) *time.Time {
	if ns == 0 {
		return nil
	}
	t := time.Unix(0, ns).UTC()
	return &t
}

// Unread counts the account's unread notifications; digests, which only
// repeat others, do not count.
func (rd *Reader) Unread(ctx context.Context, accountID uuid.UUID) (int, error) {
	if stmt, err := rd.unread.Stmt(ctx, rd.db); err == nil && stmt != nil {
		var n int
		if err := stmt.QueryRowContext(rd.unread.ReadContext(ctx), accountID.String(), KindDigest).Scan(&n); err != nil {
			return 0, fmt.Errorf("count unread notifications of %s: %w", accountID, err)
		}
		return n, nil
	}
	n, err := rd.db.NewSelect().Model((*row)(nil)).
		Where("account_id = ? AND read_ns = 0 AND kind <> ?", accountID.String(), KindDigest).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications of %s: %w", accountID, err)
	}
	return int(n), nil
}

// ErrNotFound is returned by MarkRead for a notification the account does not have.
var ErrNotFound = errors.New("notification not found")

// MarkRead records that the owner read notification id at now and
// returns the notification. Reading is a fact of the read side, not a
// domain event: it changes nothing in the account's history, so it is kept
// beside the projection (notification_marks) and survives a rebuild.
// Marking a read notification again keeps the first time.
func (rd *Reader) MarkRead(ctx context.Context, accountID uuid.UUID, id string, now time.Time) (Item, error) {
	var out Item
	err := rd.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		r := &row{}
		err := tx.NewSelect().Model(r).Where("id = ? AND account_id = ?", id, accountID.String()).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read notification %s: %w", id, err)
		}
		if r.ReadNs == 0 {
			r.ReadNs = now.UnixNano()
			if _, err := tx.NewUpdate().Model(r).Set("read_ns = ?", r.ReadNs).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("mark notification %s read: %w", id, err)
			}
			_, err := tx.NewInsert().Model(&mark{NotificationID: id, ReadNs: r.ReadNs, DigestID: r.DigestID}).
				On("CONFLICT (notification_id) DO UPDATE").Set("read_ns = EXCLUDED.read_ns").Exec(ctx)
			if err != nil {
				return fmt.Errorf("keep read mark of %s: %w", id, err)
			}
		}
		out = itemOf(*r)
		return nil
	})
	return out, err
}

// ErrBadCursor is returned for a cursor this read model did not issue.
var ErrBadCursor = readmodel.ErrBadCursor
