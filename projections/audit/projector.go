// Package audit is the audit log read model: an index of every event of the
// global log by account, actor, actor role, type and time, so that an
// auditor can ask "every decision operator X made in November" or "every
// SNILS change this week" across accounts.
//
// The index holds no event data, and so no personal data: a row is the
// event's global position, its account id, its actor id and role, its type
// and when it occurred. The query side reads the events themselves from
// the event store by position and decodes them as the history does, so an
// item shows exactly what the account's history shows (an erased field
// included) and the read model has nothing to purge.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ProjectorName is the projector's consumer name and checkpoint key
// (`kabinet projections rebuild audit`).
const ProjectorName = "audit"

// eventRow is one event of the log, indexed.
type eventRow struct {
	bun.BaseModel `bun:"table:audit_events"`

	Position   int64  `bun:"position,pk"`
	AccountID  string `bun:"account_id,notnull"`
	ActorID    string `bun:"actor_id,notnull"`
	ActorRole  string `bun:"actor_role,notnull"`
	Type       string `bun:"type,notnull"`
	OccurredUS int64  `bun:"occurred_us,notnull"`
}

// Migrations are the audit log's tables, oldest first. One index per filter
// column, in the list's order (occurred_us, position), and one for time
// alone, so each filter's first page is one index range scan.
var Migrations = schema.Component{Name: ProjectorName, Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "audit_events" (
		"position" {int} NOT NULL, "account_id" VARCHAR NOT NULL, "actor_id" VARCHAR NOT NULL,
		"actor_role" VARCHAR NOT NULL, "type" VARCHAR NOT NULL, "occurred_us" {int} NOT NULL,
		PRIMARY KEY ("position"))`,
		`CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (occurred_us, position)`,
		`CREATE INDEX IF NOT EXISTS audit_events_account ON audit_events (account_id, occurred_us, position)`,
		`CREATE INDEX IF NOT EXISTS audit_events_actor ON audit_events (actor_id, occurred_us, position)`,
		`CREATE INDEX IF NOT EXISTS audit_events_role ON audit_events (actor_role, occurred_us, position)`,
		`CREATE INDEX IF NOT EXISTS audit_events_type ON audit_events (type, occurred_us, position)`)},
}}

// Projector builds the audit log read model.
type Projector struct{}

// NewProjector returns the audit log projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Schema implements projections.Projector.
func (*Projector) Schema() schema.Component { return Migrations }

// Reset implements projections.Projector.
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	_, err := db.NewDelete().Model((*eventRow)(nil)).Where("1 = 1").Exec(ctx)
	return err
}

// insertChunk bounds the rows of one INSERT.
const insertChunk = 500

// Project implements projections.Projector: one row per event, keyed by
// position, so a redelivery changes nothing.
func (*Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	rows := make([]eventRow, len(events))
	for i := range events {
		rows[i] = rowOf(&events[i])
	}
	for i := 0; i < len(rows); i += insertChunk {
		chunk := rows[i:min(i+insertChunk, len(rows))]
		if _, err := tx.NewInsert().Model(&chunk).On("CONFLICT (position) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("audit: index events: %w", err)
		}
	}
	return nil
}

// actorMeta is the part of an event's metadata the index keeps.
type actorMeta struct {
	ActorID   string `json:"actor_id"`
	ActorRole string `json:"actor_role"`
}

// rowOf indexes rec: its account is the uuid of an account stream, else
// the "account_id" of its data (a contact claim's); its actor the
// metadata's.
func rowOf(rec *eventstore.RecordedEvent) eventRow {
	r := eventRow{Position: int64(rec.Position), Type: rec.Type, OccurredUS: rec.OccurredAt.UnixMicro()}
	if id, ok := readmodel.AccountOf(rec.StreamID); ok {
		r.AccountID = id
	} else if strings.Contains(string(rec.Data), `"account_id"`) {
		var d struct {
			AccountID string `json:"account_id"`
		}
		if json.Unmarshal(rec.Data, &d) == nil {
			r.AccountID = d.AccountID
		}
	}
	var md actorMeta
	if len(rec.Metadata) > 0 && json.Unmarshal(rec.Metadata, &md) == nil {
		r.ActorID, r.ActorRole = md.ActorID, md.ActorRole
	}
	return r
}
