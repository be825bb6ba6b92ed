package operatorqueue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// Item is one piece of pending work.
type Item struct {
	Kind          string      `json:"kind"`
	AccountID     string      `json:"account_id"`
	Person        Person      `json:"person"`
	ApplicationID string      `json:"application_id,omitempty"`
	Number        string      `json:"number,omitempty"`
	Service       string      `json:"service,omitempty"`
	Method        string      `json:"method,omitempty"`
	Status        string      `json:"status"`
	StatusLabel   string      `json:"status_label,omitempty"`
	QueuedAt      time.Time   `json:"queued_at"`
	Deadline      domain.Date `json:"deadline"`
	Extended      bool        `json:"extended"`
	Overdue       bool        `json:"overdue"`
}

// Person is whom the work is about.
type Person struct {
	Surname    string `json:"surname"`
	GivenNames string `json:"given_names"`
	Patronymic string `json:"patronymic,omitempty"`
}

// Query selects a page of the queue, oldest first.
type Query struct {
	// Kind is KindIdentity, KindApplication or "" for both.
	Kind   string
	Cursor string
	Limit  int
	// Today (a Moscow day) decides what is overdue.
	Today domain.Date
}

// Reader serves the operator queue.
type Reader struct {
	db       bun.IDB
	position *readmodel.Prepared // the checkpoint, read on every page
}

// NewReader reads the queue from db.
func NewReader(db bun.IDB) *Reader {
	return &Reader{db: db, position: readmodel.NewPrepared(positionSQL)}
}

// listed is an item row joined with its person.
type listed struct {
	itemRow    `bun:",extend"`
	Surname    string `bun:"surname"`
	GivenNames string `bun:"given_names"`
	Patronymic string `bun:"patronymic"`
}

// List returns a page of open items, oldest in the queue first, and the
// next page's cursor ("" on the last); readmodel.ErrBadCursor for a cursor
// it did not issue.
func (rd *Reader) List(ctx context.Context, q Query) ([]Item, string, error) {
	after, ok, err := readmodel.DecodeCursor(q.Cursor)
	if err != nil {
		return nil, "", err
	}
	var rows []listed
	sel := rd.db.NewSelect().Model(&rows).
		ColumnExpr("q.*, a.surname, a.given_names, a.patronymic").
		ModelTableExpr("operator_queue AS q").
		Join("LEFT JOIN operator_queue_accounts AS a ON a.account_id = q.account_id").
		Where("q.open = ?", true)
	if q.Kind != "" {
		sel = sel.Where("q.kind = ?", q.Kind)
	}
	if ok {
		sel = sel.Where("(q.queued_ns > ? OR (q.queued_ns = ? AND q.item_id > ?))", after.Key, after.Key, after.ID)
	}
	if err := sel.OrderExpr("q.queued_ns, q.item_id").Limit(int64(q.Limit + 1)).Scan(ctx); err != nil {
		return nil, "", fmt.Errorf("list operator queue: %w", err)
	}
	next := ""
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		next = readmodel.Cursor{Key: last.QueuedNs, ID: last.ItemID}.Encode()
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		items[i] = itemOf(r, q.Today)
	}
	return items, next, nil
}

func itemOf(r listed, today domain.Date) Item {
	deadline := domain.Date{}
	if r.Deadline != "" {
		deadline, _ = domain.ParseDate(r.Deadline)
	}
	it := Item{
		Kind: r.Kind, AccountID: r.AccountID, Person: Person{r.Surname, r.GivenNames, r.Patronymic},
		ApplicationID: r.ApplicationID, Number: r.Number, Service: r.Service, Method: r.Method,
		Status: r.Status, QueuedAt: time.Unix(0, r.QueuedNs).UTC(), Deadline: deadline, Extended: r.Extended,
	}
	if r.Kind == KindApplication {
		it.StatusLabel = domain.StatusLabel(r.Status)
		it.Overdue = domain.ApplicationState{Status: r.Status, Deadline: deadline}.Overdue(today)
	} else {
		it.Overdue = !deadline.IsZero() && today.After(deadline)
	}
	return it
}

// ErrBadCursor is returned for a cursor this read model did not issue.
var ErrBadCursor = readmodel.ErrBadCursor

// Position is the log position the queue's tables reflect: the
// projector's checkpoint, which moves in the transaction of every change
// it makes (purges of erased accounts included).
func (rd *Reader) Position(ctx context.Context) (uint64, error) {
	st, err := rd.position.Stmt(ctx, rd.db)
	if err != nil {
		return 0, fmt.Errorf("operator queue position: %w", err)
	}
	if st == nil { // not a pool: nothing to keep prepared
		return esbus.LoadTx(ctx, rd.db, ProjectorName)
	}
	var pos int64
	err = st.QueryRowContext(rd.position.ReadContext(ctx), ProjectorName).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("operator queue position: %w", err)
	}
	return uint64(pos), nil
}

// positionSQL is esbus.LoadTx's query, kept prepared for the queue.
const positionSQL = `SELECT position FROM checkpoints WHERE consumer = ?`
