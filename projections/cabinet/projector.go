package cabinet

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
	"github.com/kabinet/kabinet/projections/notifications"
)

// ProjectorName is the cabinet projector's consumer name and checkpoint key.
const ProjectorName = "cabinet"

// row is one account's cabinet document. Version is the last stream version
// applied: an event at or below it is a redelivery and changes nothing.
type row struct {
	bun.BaseModel `bun:"table:cabinet_views"`

	AccountID string `bun:"account_id,pk"`
	Version   int64  `bun:"version,notnull"`
	Position  int64  `bun:"position,notnull"`
	Doc       string `bun:"doc,notnull"`
}

// stored is the document as kept: the view plus what the fold needs and
// the view does not show (each application's status, so a status change
// moves one count to another).
type stored struct {
	View
	Apps map[string]string `json:"_application_status,omitempty"`
}

// Projector builds the cabinet read model.
type Projector struct{}

// NewProjector returns the cabinet projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations are the cabinet view's tables, oldest first.
var Migrations = schema.Component{Name: ProjectorName, Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "cabinet_views" (
		"account_id" VARCHAR NOT NULL, "version" {int} NOT NULL, "position" {int} NOT NULL,
		"doc" VARCHAR NOT NULL, PRIMARY KEY ("account_id"))`)},
}}

// Schema implements projections.Projector.
func (*Projector) Schema() schema.Component { return Migrations }

// Reset implements projections.Projector.
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	_, err := db.NewDelete().Model((*row)(nil)).Where("1 = 1").Exec(ctx)
	return err
}

// Project implements projections.Projector: it loads the documents of the
// accounts in the batch in one query, applies their events and writes each
// back once.
func (p *Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	docs, err := loadAll(ctx, tx, events)
	if err != nil {
		return err
	}
	var order []string
	touched := map[string]bool{}
	for _, rec := range events {
		id, ok := readmodel.AccountOf(rec.StreamID)
		if !ok {
			continue
		}
		d := docs[id]
		if rec.Version <= d.row.Version {
			continue // applied before: a redelivery
		}
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return fmt.Errorf("cabinet %s v%d: %w", id, rec.Version, err)
		}
		apply(&d.doc, e)
		d.doc.Version = rec.Version
		d.doc.UpdatedAt = rec.OccurredAt.UTC()
		d.row.Version, d.row.Position = rec.Version, int64(rec.Position)
		if !touched[id] {
			touched[id] = true
			order = append(order, id)
		}
	}
	rows := make([]row, 0, len(order))
	for _, id := range order {
		d := docs[id]
		b, err := json.Marshal(d.doc)
		if err != nil {
			return fmt.Errorf("encode cabinet %s: %w", id, err)
		}
		d.row.Doc = string(b)
		rows = append(rows, *d.row)
	}
	return save(ctx, tx, rows)
}

// saveChunk bounds the rows one INSERT statement carries.
const saveChunk = 500

// save writes rows back. On SQLite each goes through one statement prepared
// for the batch, its document bound: bun's rendered INSERT wrote the
// document's kilobytes into the SQL text, which SQLite parsed again for
// every account. On PostgreSQL bun's multi-row INSERT saves a round trip
// per row.
func save(ctx context.Context, tx bun.Tx, rows []row) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.Dialect().Name() == dialect.SQLite {
		st, err := tx.PrepareContext(ctx, `INSERT INTO cabinet_views (account_id, version, position, doc)
			VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE
			SET version = EXCLUDED.version, position = EXCLUDED.position, doc = EXCLUDED.doc`)
		if err != nil {
			return fmt.Errorf("prepare cabinet save: %w", err)
		}
		defer st.Close()
		for i := range rows {
			r := &rows[i]
			if _, err := st.ExecContext(ctx, r.AccountID, r.Version, r.Position, r.Doc); err != nil {
				return fmt.Errorf("save cabinet %s: %w", r.AccountID, err)
			}
		}
		return nil
	}
	for start := 0; start < len(rows); start += saveChunk {
		part := rows[start:min(start+saveChunk, len(rows))]
		_, err := tx.NewInsert().Model(&part).
			On("CONFLICT (account_id) DO UPDATE").
			Set("version = EXCLUDED.version, position = EXCLUDED.position, doc = EXCLUDED.doc").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("save cabinets: %w", err)
		}
	}
	return nil
}

type loaded struct {
	row *row
	doc stored
}

// loadAll reads the documents of every account in events at once; an
// account without one starts empty at version -1.
func loadAll(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) (map[string]*loaded, error) {
	out := map[string]*loaded{}
	var ids []string
	for _, rec := range events {
		if id, ok := readmodel.AccountOf(rec.StreamID); ok && out[id] == nil {
			out[id] = &loaded{row: &row{AccountID: id, Version: -1}, doc: newStored(id)}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []row
	if err := tx.NewSelect().Model(&rows).Where("account_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load cabinets: %w", err)
	}
	for i := range rows {
		r := &rows[i]
		d := out[r.AccountID]
		d.row = r
		if err := json.Unmarshal([]byte(r.Doc), &d.doc); err != nil {
			return nil, fmt.Errorf("decode cabinet %s: %w", r.AccountID, err)
		}
	}
	return out, nil
}

func newStored(id string) stored {
	return stored{View: View{
		AccountID: id, Contacts: []Contact{}, Documents: []Document{}, AvailableServices: []string{},
		Verification:            domain.VerificationState{Status: domain.VerificationNone},
		NotificationPreferences: domain.DefaultNotificationPreferences(),
		ApplicationCounts:       map[string]int{},
	}}
}

// Reader serves cabinet documents.
type Reader struct {
	db       bun.IDB
	get      *readmodel.Prepared
	counting *readmodel.Prepared
	// decoded keeps the last document read of each account with its
	// decoding. Every Get still reads the document; only when it is the
	// very same text as last time is the decoding reused, so nothing is
	// ever answered that the read model does not hold now. Decoding was
	// the largest cost of a cabinet read. Bounded by decodedMax.
	mu      sync.Mutex
	decoded map[string]decodedView
}

// decodedMax bounds how many decoded documents a Reader keeps.
const decodedMax = 4096

type decodedView struct {
	doc  string
	view *View
}

// NewReader reads cabinets from db.
func NewReader(db bun.IDB) *Reader {
	return &Reader{db: db, get: readmodel.NewPrepared("SELECT doc FROM cabinet_views WHERE account_id = ?"),
		counting: readmodel.NewPrepared("SELECT doc, " + notifications.UnreadOfAccount +
			" FROM cabinet_views WHERE account_id = ?"),
		decoded: make(map[string]decodedView)}
}

// GetCounting is Get together with the account's unread notifications,
// read in the same statement (one snapshot, one query instead of two):
// the notifications read model lives in the same database.
func (rd *Reader) GetCounting(ctx context.Context, accountID uuid.UUID) (*View, int, error) {
	stmt, err := rd.counting.Stmt(ctx, rd.db)
	if err != nil || stmt == nil {
		v, err := rd.Get(ctx, accountID)
		if err != nil || v == nil {
			return v, 0, err
		}
		n, err := notifications.NewReader(rd.db).Unread(ctx, accountID)
		return v, n, err
	}
	id := accountID.String()
	rows, err := stmt.QueryContext(rd.counting.ReadContext(ctx), id, id)
	if err != nil {
		return nil, 0, fmt.Errorf("read cabinet %s: %w", id, err)
	}
	defer rows.Close()
	// The document is read in place and copied only when it is not the
	// one decoded last time: a read of an unchanged cabinet allocates none.
	var doc sql.RawBytes
	var unread int
	err = readmodel.ScanFirst(rows, &doc, &unread)
	v, err := rd.decode(id, doc, err)
	return v, unread, err
}

// Get returns the account's cabinet, or nil when the projection has none.
// The view may be shared with other callers: treat it as read-only (View's
// methods return changed copies).
func (rd *Reader) Get(ctx context.Context, accountID uuid.UUID) (*View, error) {
	r := &row{AccountID: accountID.String()}
	stmt, err := rd.get.Stmt(ctx, rd.db)
	switch {
	case err != nil:
	case stmt != nil:
		err = stmt.QueryRowContext(rd.get.ReadContext(ctx), r.AccountID).Scan(&r.Doc)
	default:
		err = rd.db.NewSelect().Model(r).WherePK().Scan(ctx)
	}
	return rd.decode(r.AccountID, []byte(r.Doc), err)
}

// decode turns the account's document as read (err: how the read went)
// into its view, reusing the last decoding of the very same text.
func (rd *Reader) decode(account string, doc []byte, err error) (*View, error) {
	if errors.Is(err, sql.ErrNoRows) {
		rd.mu.Lock()
		delete(rd.decoded, account) // a purged account leaves nothing behind
		rd.mu.Unlock()
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cabinet %s: %w", account, err)
	}
	rd.mu.Lock()
	d, ok := rd.decoded[account]
	rd.mu.Unlock()
	if ok && d.doc == string(doc) {
		return d.view, nil
	}
	v := &View{}
	if err := json.Unmarshal(doc, v); err != nil {
		return nil, fmt.Errorf("decode cabinet %s: %w", account, err)
	}
	if v.NotificationPreferences.Frequency == "" {
		// A document written before preferences were projected.
		v.NotificationPreferences = domain.DefaultNotificationPreferences()
	}
	rd.mu.Lock()
	if len(rd.decoded) >= decodedMax {
		clear(rd.decoded)
	}
	rd.decoded[account] = decodedView{doc: string(doc), view: v}
	rd.mu.Unlock()
	return v, nil
}

// Purge implements projections.Purger: the account's cabinet is deleted.
func (*Projector) Purge(ctx context.Context, tx bun.Tx, accountID string) error {
	_, err := tx.NewDelete().Model((*row)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return err
}
