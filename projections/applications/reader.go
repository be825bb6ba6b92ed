package applications

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// Item is one application in an account's list (docs/API.md).
type Item struct {
	ApplicationID string      `json:"application_id"`
	Number        string      `json:"number"`
	Service       string      `json:"service"`
	Status        string      `json:"status"`
	StatusLabel   string      `json:"status_label"`
	SubmittedAt   time.Time   `json:"submitted_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Deadline      domain.Date `json:"deadline"`
	Overdue       bool        `json:"overdue"`
}

// Detail is one application with the history of every status change.
type Detail struct {
	ApplicationID    string                 `json:"application_id"`
	AccountID        string                 `json:"account_id"`
	Number           string                 `json:"number"`
	Service          string                 `json:"service"`
	Status           string                 `json:"status"`
	StatusLabel      string                 `json:"status_label"`
	Form             map[string]any         `json:"form"`
	DocumentIDs      []uuid.UUID            `json:"document_ids"`
	Fee              domain.Money           `json:"fee"`
	Payments         []domain.Payment       `json:"payments"`
	SubmittedAt      time.Time              `json:"submitted_at"`
	UpdatedAt        time.Time              `json:"updated_at"`
	Deadline         domain.Date            `json:"deadline"`
	ClarificationDue domain.Date            `json:"clarification_due"`
	Overdue          bool                   `json:"overdue"`
	Result           *domain.ResultDocument `json:"result,omitempty"`
	History          []HistoryEntry         `json:"history"`
}

// HistoryEntry is one status change: the status entered, when, by whom
// (By is left out for citizens' eyes: WithoutStaffIDs) and what was said.
type HistoryEntry struct {
	Status           string    `json:"status"`
	StatusLabel      string    `json:"status_label"`
	At               time.Time `json:"at"`
	ByRole           string    `json:"by_role"`
	By               string    `json:"by,omitempty"`
	Event            string    `json:"event"`
	Comment          string    `json:"comment,omitempty"`
	Reasons          []string  `json:"reasons,omitempty"`
	MissingDocuments []string  `json:"missing_documents,omitempty"`
}

// WithoutStaffIDs drops the ids of the staff who decided, keeping their
// role: a citizen sees that an operator decided, not which one.
func (d *Detail) WithoutStaffIDs() {
	for i, h := range d.History {
		if h.ByRole != "citizen" {
			d.History[i].By = ""
		}
	}
}

// Reader serves the application read model.
type Reader struct {
	db   bun.IDB
	byID *readmodel.Prepared
	// decoded keeps the last document read of each application with its
	// decoding; a Get that reads the very same text reuses the decoding
	// (the read itself is never skipped, so nothing stale is answered).
	mu      sync.Mutex
	decoded map[string]decodedState
}

// decodedMax bounds how many decoded documents a Reader keeps.
const decodedMax = 4096

type decodedState struct {
	doc   string
	state *domain.ApplicationState
}

// NewReader reads applications from db.
func NewReader(db bun.IDB) *Reader {
	return &Reader{db: db, decoded: make(map[string]decodedState),
		byID: readmodel.NewPrepared("SELECT account_id, doc FROM application_views WHERE application_id = ?")}
}

// ListQuery selects a page of one account's applications, newest first.
type ListQuery struct {
	AccountID uuid.UUID
	// Statuses keeps only applications in one of them (all when empty).
	Statuses []string
	// Cursor continues after a page ("" for the first).
	Cursor string
	Limit  int
	// Today (a Moscow day) decides what is overdue.
	Today domain.Date
}

// List returns a page of the account's applications and the cursor of the
// next page ("" on the last). A cursor it did not issue is
// readmodel.ErrBadCursor.
func (rd *Reader) List(ctx context.Context, q ListQuery) ([]Item, string, error) {
	after, ok, err := readmodel.DecodeCursor(q.Cursor)
	if err != nil {
		return nil, "", err
	}
	var rows []row
	sel := rd.db.NewSelect().Model(&rows).
		Column("application_id", "number", "service", "status", "seq", "submitted_ns", "updated_ns", "deadline").
		Where("account_id = ?", q.AccountID.String())
	if len(q.Statuses) > 0 {
		sel = sel.Where("status IN (?)", bun.List(q.Statuses))
	}
	if ok {
		sel = sel.Where("seq < ?", after.Key)
	}
	if err := sel.Order("seq DESC").Limit(int64(q.Limit + 1)).Scan(ctx); err != nil {
		return nil, "", fmt.Errorf("list applications of %s: %w", q.AccountID, err)
	}
	next := ""
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		next = readmodel.Cursor{Key: last.Seq, ID: last.ApplicationID}.Encode()
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		deadline, _ := parseDate(r.Deadline)
		items[i] = Item{
			ApplicationID: r.ApplicationID, Number: r.Number, Service: r.Service, Status: r.Status,
			StatusLabel: domain.StatusLabel(r.Status), SubmittedAt: time.Unix(0, r.SubmittedAt).UTC(), UpdatedAt: time.Unix(0, r.UpdatedAt).UTC(),
			Deadline: deadline, Overdue: overdue(r.Status, deadline, q.Today),
		}
	}
	return items, next, nil
}

// GetShared returns the application's account and its state as decoded
// from the read model, or a nil state when there is none. The state is
// shared with other callers and never changed: the same pointer for as
// long as the read model holds the same document, a new one when it
// changes. Treat it as read-only; Present makes the answer of it.
func (rd *Reader) GetShared(ctx context.Context, id uuid.UUID) (string, *domain.ApplicationState, error) {
	stmt, err := rd.byID.Stmt(ctx, rd.db)
	if err != nil || stmt == nil {
		return rd.oneState(ctx, "application_id = ?", id.String())
	}
	key := id.String()
	rows, err := stmt.QueryContext(rd.byID.ReadContext(ctx), key)
	if err != nil {
		return "", nil, fmt.Errorf("read application %s: %w", key, err)
	}
	defer rows.Close()
	// The document is read in place and copied only when it is not the
	// one decoded last time.
	var account string
	var doc sql.RawBytes
	err = readmodel.ScanFirst(rows, &account, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		rd.mu.Lock()
		delete(rd.decoded, key) // a purged application leaves nothing behind
		rd.mu.Unlock()
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("read application %s: %w", key, err)
	}
	rd.mu.Lock()
	d, ok := rd.decoded[key]
	rd.mu.Unlock()
	if !ok || d.doc != string(doc) {
		d = decodedState{doc: string(doc), state: &domain.ApplicationState{}}
		if err := json.Unmarshal(doc, d.state); err != nil {
			return "", nil, fmt.Errorf("decode application %s: %w", key, err)
		}
		rd.mu.Lock()
		if len(rd.decoded) >= decodedMax {
			clear(rd.decoded)
		}
		rd.decoded[key] = d
		rd.mu.Unlock()
	}
	return account, d.state, nil
}

// Present is the application's answer from its state on day today.
func Present(account string, st *domain.ApplicationState, today domain.Date) *Detail {
	return detailOf(account, *st, today)
}

// GetStateByNumber returns the account and the state of the application
// with the human number, decoded for this caller alone; a nil state when
// there is none.
func (rd *Reader) GetStateByNumber(ctx context.Context, number string) (string, *domain.ApplicationState, error) {
	return rd.oneState(ctx, "number = ?", number)
}

// oneState reads and decodes the first application matching where, for
// the reads that take no prepared statement; a nil state when none does.
func (rd *Reader) oneState(ctx context.Context, where string, arg any) (string, *domain.ApplicationState, error) {
	r := &row{}
	err := rd.db.NewSelect().Model(r).Where(where, arg).Order("seq").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("read application %v: %w", arg, err)
	}
	var s domain.ApplicationState
	if err := json.Unmarshal([]byte(r.Doc), &s); err != nil {
		return "", nil, fmt.Errorf("decode application %s: %w", r.ApplicationID, err)
	}
	return r.AccountID, &s, nil
}

func detailOf(account string, s domain.ApplicationState, today domain.Date) *Detail {
	d := &Detail{
		ApplicationID: s.ApplicationID.String(), AccountID: account, Number: s.Number, Service: s.Service,
		Status: s.Status, StatusLabel: domain.StatusLabel(s.Status), Form: s.Form,
		DocumentIDs: append([]uuid.UUID{}, s.DocumentIDs...), Fee: s.Fee, Payments: append([]domain.Payment{}, s.Payments...),
		SubmittedAt: s.SubmittedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), Deadline: s.Deadline,
		ClarificationDue: s.ClarificationDue, Overdue: s.Overdue(today), Result: s.Result,
		History: make([]HistoryEntry, len(s.History)),
	}
	for i, h := range s.History {
		d.History[i] = HistoryEntry{
			Status: h.Status, StatusLabel: domain.StatusLabel(h.Status), At: h.At.UTC(), ByRole: h.ByRole, By: h.By,
			Event: h.Event, Comment: h.Comment, Reasons: h.Reasons, MissingDocuments: h.MissingDocuments,
		}
	}
	return d
}

// overdue applies the domain's rule to a list row.
func overdue(status string, deadline, today domain.Date) bool {
	return domain.ApplicationState{Status: status, Deadline: deadline}.Overdue(today)
}

func parseDate(s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	return domain.ParseDate(s)
}

// ErrBadCursor is returned for a cursor this read model did not issue.
var ErrBadCursor = readmodel.ErrBadCursor
