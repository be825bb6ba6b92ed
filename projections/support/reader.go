package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ErrBadCursor is returned for a cursor this API did not issue.
var ErrBadCursor = readmodel.ErrBadCursor

// Request is one request as the API shows it.
type Request struct {
	RequestID     string     `json:"request_id"`
	AccountID     string     `json:"account_id"`
	Number        string     `json:"number"`
	Topic         string     `json:"topic"`
	Priority      string     `json:"priority"`
	Status        string     `json:"status"`
	OpenedAt      time.Time  `json:"opened_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	AnswerDue     *time.Time `json:"answer_due"`
	ResolutionDue *time.Time `json:"resolution_due"`
	// Overdue: the deadline that runs now has passed.
	Overdue  bool      `json:"overdue"`
	Messages []Message `json:"messages,omitempty"`
}

// Message is one message of a thread; staff are named by role only.
type Message struct {
	MessageID string    `json:"message_id"`
	Text      string    `json:"text"`
	ByRole    string    `json:"by_role"`
	At        time.Time `json:"at"`
}

// Reader reads the support read model.
type Reader struct{ db bun.IDB }

// NewReader reads from db.
func NewReader(db bun.IDB) *Reader { return &Reader{db: db} }

func timeOf(n int64) time.Time { return time.Unix(0, n).UTC() }

func optTime(n int64) *time.Time {
	if n == 0 {
		return nil
	}
	t := timeOf(n)
	return &t
}

func (r requestRow) view(now time.Time) Request {
	return Request{RequestID: r.RequestID, AccountID: r.AccountID, Number: r.Number, Topic: r.Topic, Priority: r.Priority,
		Status: r.Status, OpenedAt: timeOf(r.OpenedNs), UpdatedAt: timeOf(r.UpdatedNs), AnswerDue: optTime(r.AnswerDueNs),
		ResolutionDue: optTime(r.ResolutionDueNs), Overdue: r.NextDueNs != 0 && r.NextDueNs < now.UnixNano()}
}

// Get returns request id with its thread, or nil.
func (rd *Reader) Get(ctx context.Context, id string, now time.Time) (*Request, error) {
	var row requestRow
	err := rd.db.NewSelect().Model(&row).Where("request_id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read support request: %w", err)
	}
	var msgs []messageRow
	if err := rd.db.NewSelect().Model(&msgs).Where("request_id = ?", id).Order("seq", "message_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read support messages: %w", err)
	}
	v := row.view(now)
	v.Messages = make([]Message, len(msgs))
	for i, m := range msgs {
		v.Messages[i] = Message{MessageID: m.MessageID, Text: m.Text, ByRole: m.ByRole, At: timeOf(m.AtNs)}
	}
	return &v, nil
}

// List returns account's requests, newest first, a page after cursor.
func (rd *Reader) List(ctx context.Context, account, cursor string, limit int, now time.Time) ([]Request, string, error) {
	c, ok, err := readmodel.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	q := rd.db.NewSelect().Model((*requestRow)(nil)).Where("account_id = ?", account)
	if ok {
		q = q.Where("(opened_ns < ? OR (opened_ns = ? AND request_id < ?))", c.Key, c.Key, c.ID)
	}
	var rows []requestRow
	if err := q.Order("opened_ns DESC", "request_id DESC").Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return nil, "", fmt.Errorf("list support requests: %w", err)
	}
	return page(rows, limit, now, func(r requestRow) readmodel.Cursor { return readmodel.Cursor{Key: r.OpenedNs, ID: r.RequestID} })
}

// Queue returns the requests that wait on operators (open or answered and
// not resolved), the deadline that runs soonest first: overdue requests,
// whose deadline has passed, lead the queue.
func (rd *Reader) Queue(ctx context.Context, cursor string, limit int, now time.Time) ([]Request, string, error) {
	c, ok, err := readmodel.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	q := rd.db.NewSelect().Model((*requestRow)(nil)).Where("next_due_ns > 0")
	if ok {
		q = q.Where("(next_due_ns > ? OR (next_due_ns = ? AND request_id > ?))", c.Key, c.Key, c.ID)
	}
	var rows []requestRow
	if err := q.Order("next_due_ns", "request_id").Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return nil, "", fmt.Errorf("support queue: %w", err)
	}
	return page(rows, limit, now, func(r requestRow) readmodel.Cursor { return readmodel.Cursor{Key: r.NextDueNs, ID: r.RequestID} })
}

func page(rows []requestRow, limit int, now time.Time, key func(requestRow) readmodel.Cursor) ([]Request, string, error) {
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = key(rows[len(rows)-1]).Encode()
	}
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = r.view(now)
	}
	return out, next, nil
}
