// Package applications is the application status read model (docs/DOMAIN.md §6,
// docs/API.md "Applications"): one row per application with its list columns indexed
// for an account's list and its whole state, history included, as a JSON
// document for the detail view.
package applications

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ProjectorName is the projector's consumer name and checkpoint key.
const ProjectorName = "applications"

// row is one application. Seq is the global position of its submission,
// the list's order. Version is the last stream version applied to it: an
// event at or below it is a redelivery. Deadline is YYYY-MM-DD or "".
// Times are Unix nanoseconds: a list reads them without parsing text.
type row struct {
	bun.BaseModel `bun:"table:application_views"`

	ApplicationID string `bun:"application_id,pk"`
	AccountID     string `bun:"account_id,notnull"`
	Number        string `bun:"number,notnull"`
	Service       string `bun:"service,notnull"`
	Status        string `bun:"status,notnull"`
	Seq           int64  `bun:"seq,notnull"`
	SubmittedAt   int64  `bun:"submitted_ns,notnull"`
	UpdatedAt     int64  `bun:"updated_ns,notnull"`
	Deadline      string `bun:"deadline,notnull"`
	Version       int64  `bun:"version,notnull"`
	Position      int64  `bun:"position,notnull"`
	Doc           string `bun:"doc,notnull"`
}

// Projector builds the application status read model.
type Projector struct{}

// NewProjector returns the applications projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations are the application views' tables, oldest first. The
// indexes serve an account's list (newest first, optionally by status) and
// the lookup by number; the list's indexes cover every column a list
// shows, so a list never reads the rows' large history documents.
var Migrations = schema.Component{Name: ProjectorName, Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "application_views" (
		"application_id" VARCHAR NOT NULL, "account_id" VARCHAR NOT NULL, "number" VARCHAR NOT NULL,
		"service" VARCHAR NOT NULL, "status" VARCHAR NOT NULL, "seq" {int} NOT NULL,
		"submitted_ns" {int} NOT NULL, "updated_ns" {int} NOT NULL, "deadline" VARCHAR NOT NULL,
		"version" {int} NOT NULL, "position" {int} NOT NULL, "doc" VARCHAR NOT NULL,
		PRIMARY KEY ("application_id"))`,
		`CREATE INDEX IF NOT EXISTS application_views_list ON application_views (account_id, seq, status, application_id, number, service, submitted_ns, updated_ns, deadline)`,
		`CREATE INDEX IF NOT EXISTS application_views_list_status ON application_views (account_id, status, seq, application_id, number, service, submitted_ns, updated_ns, deadline)`,
		`CREATE INDEX IF NOT EXISTS application_views_number ON application_views (number)`)},
}}

// Schema implements projections.Projector.
func (*Projector) Schema() schema.Component { return Migrations }

// Reset implements projections.Projector.
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	_, err := db.NewDelete().Model((*row)(nil)).Where("1 = 1").Exec(ctx)
	return err
}

// app is one application being projected in a batch.
type app struct {
	row   *row
	state *domain.ApplicationState
}

// Project implements projections.Projector: it loads every application the
// batch names in one query, applies the events and writes the changed rows
// back in one statement.
func (p *Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	type item struct {
		rec    eventstore.RecordedEvent
		ref    domain.ApplicationRef
		status string
		event  domain.Event
	}
	var items []item
	var ids []string
	for _, rec := range events {
		if _, ok := readmodel.AccountOf(rec.StreamID); !ok || !isApplicationEvent(rec.Type) {
			continue
		}
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return fmt.Errorf("applications %s v%d: %w", rec.StreamID, rec.Version, err)
		}
		ref, status, _ := domain.ApplicationStatusOf(e)
		items = append(items, item{rec, ref, status, e})
		ids = append(ids, ref.ApplicationID.String())
	}
	if len(items) == 0 {
		return nil
	}
	apps, err := load(ctx, tx, ids)
	if err != nil {
		return err
	}
	var changed []string
	seen := map[string]bool{}
	for _, it := range items {
		id := it.ref.ApplicationID.String()
		a := apps[id]
		if a != nil && it.rec.Version <= a.row.Version {
			continue // applied before: a redelivery
		}
		account, _ := readmodel.AccountOf(it.rec.StreamID)
		if sub, ok := it.event.(domain.ApplicationSubmitted); ok {
			if a != nil {
				continue // the domain ignores a second submission of one id
			}
			a = &app{row: &row{ApplicationID: id, AccountID: account, Seq: int64(it.rec.Position)}, state: submit(sub)}
			apps[id] = a
		} else if a == nil || a.row.AccountID != account {
			continue // news of an application this account never submitted
		} else {
			apply(a.state, it.ref, it.event, it.status)
		}
		if !seen[id] {
			seen[id] = true
			changed = append(changed, id)
		}
		a.row.Version, a.row.Position = it.rec.Version, int64(it.rec.Position)
	}
	return save(ctx, tx, apps, changed)
}

// isApplicationEvent tells application events by type name before
// decoding, so the projector decodes nothing else.
func isApplicationEvent(typ string) bool {
	switch typ {
	case "ApplicationSubmitted", "FeeCharged", "FeePaid", "ApplicationAccepted", "ApplicationReviewStarted",
		"ClarificationRequested", "ClarificationProvided", "ApplicationApproved", "ApplicationRejected",
		"ApplicationResubmitted", "ApplicationWithdrawn", "ApplicationEdited", "ComplaintUpheld":
		return true
	}
	return false
}

// chunk bounds the rows one statement carries (SQLite's parameter limit).
const chunk = 500

func load(ctx context.Context, tx bun.Tx, ids []string) (map[string]*app, error) {
	out := map[string]*app{}
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		var rows []row
		if err := tx.NewSelect().Model(&rows).Where("application_id IN (?)", bun.List(part)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("load applications: %w", err)
		}
		for i := range rows {
			r := &rows[i]
			s := &domain.ApplicationState{}
			if err := json.Unmarshal([]byte(r.Doc), s); err != nil {
				return nil, fmt.Errorf("decode application %s: %w", r.ApplicationID, err)
			}
			out[r.ApplicationID] = &app{row: r, state: s}
		}
	}
	return out, nil
}

func save(ctx context.Context, tx bun.Tx, apps map[string]*app, changed []string) error {
	rows := make([]row, 0, len(changed))
	for _, id := range changed {
		a := apps[id]
		b, err := json.Marshal(a.state)
		if err != nil {
			return fmt.Errorf("encode application %s: %w", id, err)
		}
		r := a.row
		r.Number, r.Service, r.Status = a.state.Number, a.state.Service, a.state.Status
		r.SubmittedAt, r.UpdatedAt = a.state.SubmittedAt.UnixNano(), a.state.UpdatedAt.UnixNano()
		r.Deadline, r.Doc = a.state.Deadline.String(), string(b)
		rows = append(rows, *r)
	}
	if tx.Dialect().Name() == dialect.SQLite {
		return saveSQLite(ctx, tx, rows)
	}
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		_, err := tx.NewInsert().Model(&part).
			On("CONFLICT (application_id) DO UPDATE").
			Set("status = EXCLUDED.status, updated_ns = EXCLUDED.updated_ns, deadline = EXCLUDED.deadline").
			Set("version = EXCLUDED.version, position = EXCLUDED.position, doc = EXCLUDED.doc").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("save applications: %w", err)
		}
	}
	return nil
}

// saveSQL is save's upsert of one row on SQLite, its values bound.
const saveSQL = `INSERT INTO application_views (application_id, account_id, number, service, status, seq,
		submitted_ns, updated_ns, deadline, version, position, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT (application_id) DO UPDATE SET status = EXCLUDED.status, updated_ns = EXCLUDED.updated_ns,
		deadline = EXCLUDED.deadline, version = EXCLUDED.version, position = EXCLUDED.position, doc = EXCLUDED.doc`

// saveSQLite writes rows through one statement prepared for the batch:
// SQLite parses it once, where bun's rendered INSERT, each document of
// kilobytes written into its text, was parsed anew every batch. (On
// PostgreSQL the multi-row INSERT saves a round trip per row.)
func saveSQLite(ctx context.Context, tx bun.Tx, rows []row) error {
	if len(rows) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, saveSQL)
	if err != nil {
		return fmt.Errorf("prepare application save: %w", err)
	}
	defer st.Close()
	for i := range rows {
		r := &rows[i]
		if _, err := st.ExecContext(ctx, r.ApplicationID, r.AccountID, r.Number, r.Service, r.Status, r.Seq,
			r.SubmittedAt, r.UpdatedAt, r.Deadline, r.Version, r.Position, r.Doc); err != nil {
			return fmt.Errorf("save application %s: %w", r.ApplicationID, err)
		}
	}
	return nil
}

// Purge implements projections.Purger: the account's applications are deleted.
func (*Projector) Purge(ctx context.Context, tx bun.Tx, accountID string) error {
	_, err := tx.NewDelete().Model((*row)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return err
}
