// Package support is the read model of support requests («Мои обращения»):
// each request with its thread for the citizen and operators, and the
// operators' support queue, the most urgent deadline first, so overdue
// requests lead it.
package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ProjectorName is the projector's consumer name and checkpoint key.
const ProjectorName = "support_requests"

// requestRow is one request. Version is the account stream's version of
// the last event applied to it: one at or below it is a redelivery.
// NextDueNs (Unix ns) is the deadline that runs now — the answer's while
// the request waits on an operator, else the resolution's; 0 once resolved
// or closed. Times are Unix nanoseconds.
type requestRow struct {
	bun.BaseModel `bun:"table:support_requests"`

	RequestID       string `bun:"request_id,pk"`
	AccountID       string `bun:"account_id,notnull"`
	Version         int64  `bun:"version,notnull"`
	Number          string `bun:"number,notnull"`
	Topic           string `bun:"topic,notnull"`
	Priority        string `bun:"priority,notnull"`
	Status          string `bun:"status,notnull"`
	OpenedNs        int64  `bun:"opened_ns,notnull"`
	UpdatedNs       int64  `bun:"updated_ns,notnull"`
	AnswerDueNs     int64  `bun:"answer_due_ns,notnull"`
	ResolutionDueNs int64  `bun:"resolution_due_ns,notnull"`
	NextDueNs       int64  `bun:"next_due_ns,notnull"`
}

// messageRow is one message of a thread; Seq orders it.
type messageRow struct {
	bun.BaseModel `bun:"table:support_messages"`

	MessageID string `bun:"message_id,pk"`
	RequestID string `bun:"request_id,notnull"`
	Seq       int64  `bun:"seq,notnull"`
	Text      string `bun:"text,notnull"`
	ByRole    string `bun:"by_role,notnull"`
	AtNs      int64  `bun:"at_ns,notnull"`
}

// Projector builds the support read model.
type Projector struct{}

// NewProjector returns the support projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations are the support read model's tables, oldest first.
var Migrations = schema.Component{Name: ProjectorName, Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "support_requests" (
		"request_id" VARCHAR NOT NULL, "account_id" VARCHAR NOT NULL, "version" {int} NOT NULL,
		"number" VARCHAR NOT NULL, "topic" VARCHAR NOT NULL, "priority" VARCHAR NOT NULL, "status" VARCHAR NOT NULL,
		"opened_ns" {int} NOT NULL, "updated_ns" {int} NOT NULL, "answer_due_ns" {int} NOT NULL,
		"resolution_due_ns" {int} NOT NULL, "next_due_ns" {int} NOT NULL, PRIMARY KEY ("request_id"))`,
		`CREATE TABLE IF NOT EXISTS "support_messages" (
		"message_id" VARCHAR NOT NULL, "request_id" VARCHAR NOT NULL, "seq" {int} NOT NULL,
		"text" VARCHAR NOT NULL, "by_role" VARCHAR NOT NULL, "at_ns" {int} NOT NULL, PRIMARY KEY ("message_id"))`,
		`CREATE INDEX IF NOT EXISTS support_requests_account ON support_requests (account_id, opened_ns, request_id)`,
		`CREATE INDEX IF NOT EXISTS support_requests_queue ON support_requests (next_due_ns, request_id)`,
		`CREATE INDEX IF NOT EXISTS support_messages_request ON support_messages (request_id, seq)`)},
}}

// Schema implements projections.Projector.
func (*Projector) Schema() schema.Component { return Migrations }

// Reset implements projections.Projector.
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	for _, m := range []any{(*requestRow)(nil), (*messageRow)(nil)} {
		if _, err := db.NewDelete().Model(m).Where("1 = 1").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Purge implements projections.Purger: the account's requests and their
// messages (which the person wrote) are deleted.
func (*Projector) Purge(ctx context.Context, tx bun.Tx, accountID string) error {
	if _, err := tx.NewDelete().Model((*messageRow)(nil)).
		Where("request_id IN (SELECT request_id FROM support_requests WHERE account_id = ?)", accountID).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewDelete().Model((*requestRow)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return err
}

// Project implements projections.Projector. The table, event → rows:
//
//	SupportRequestOpened   → a request (open, answer due) and its first message
//	SupportMessagePosted   → a message; an operator's answers it (answered,
//	                         resolution due), a citizen's reopens it (open)
//	SupportRequestResolved → resolved; SupportRequestClosed → closed
func (p *Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	for _, rec := range events {
		account, ok := readmodel.AccountOf(rec.StreamID)
		if !ok || !isSupportEvent(rec.Type) {
			continue
		}
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return fmt.Errorf("support %s v%d: %w", rec.StreamID, rec.Version, err)
		}
		if err := apply(ctx, tx, account, rec, e); err != nil {
			return fmt.Errorf("support %s v%d: %w", rec.StreamID, rec.Version, err)
		}
	}
	return nil
}

func isSupportEvent(typ string) bool {
	switch typ {
	case "SupportRequestOpened", "SupportMessagePosted", "SupportRequestResolved", "SupportRequestClosed":
		return true
	}
	return false
}

func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func apply(ctx context.Context, tx bun.Tx, account string, rec eventstore.RecordedEvent, e domain.Event) error {
	at := domain.EventTime(e).UnixNano()
	if o, ok := e.(domain.SupportRequestOpened); ok {
		row := &requestRow{RequestID: o.RequestID.String(), AccountID: account, Version: rec.Version, Number: o.Number,
			Topic: o.Topic, Priority: o.Priority, Status: domain.SupportOpen, OpenedNs: at, UpdatedNs: at,
			AnswerDueNs: ns(o.FirstAnswerDue), ResolutionDueNs: ns(o.ResolutionDue), NextDueNs: min(ns(o.FirstAnswerDue), ns(o.ResolutionDue))}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (request_id) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		return addMessage(ctx, tx, o.RequestID.String(), o.RequestID.String(), o.Text, o.ByRole, at)
	}
	id := requestOf(e)
	row := new(requestRow)
	err := tx.NewSelect().Model(row).Where("request_id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a request this read model never saw opened: nothing to change
	}
	if err != nil {
		return err
	}
	if rec.Version <= row.Version {
		return nil // applied before: a redelivery
	}
	row.Version, row.UpdatedNs = rec.Version, at
	switch e := e.(type) {
	case domain.SupportMessagePosted:
		if err := addMessage(ctx, tx, id, e.MessageID.String(), e.Text, e.ByRole, at); err != nil {
			return err
		}
		row.Status, row.AnswerDueNs, row.NextDueNs = domain.SupportAnswered, 0, row.ResolutionDueNs
		if !e.AnswerDue.IsZero() {
			row.Status, row.AnswerDueNs = domain.SupportOpen, ns(e.AnswerDue)
			row.NextDueNs = min(row.AnswerDueNs, row.ResolutionDueNs)
		}
	case domain.SupportRequestResolved:
		row.Status, row.AnswerDueNs, row.NextDueNs = domain.SupportResolved, 0, 0
	case domain.SupportRequestClosed:
		row.Status, row.AnswerDueNs, row.NextDueNs = domain.SupportClosed, 0, 0
	}
	_, err = tx.NewUpdate().Model(row).WherePK().Exec(ctx)
	return err
}

func requestOf(e domain.Event) string {
	switch e := e.(type) {
	case domain.SupportMessagePosted:
		return e.RequestID.String()
	case domain.SupportRequestResolved:
		return e.RequestID.String()
	case domain.SupportRequestClosed:
		return e.RequestID.String()
	}
	return ""
}

func addMessage(ctx context.Context, tx bun.Tx, request, id, text, role string, at int64) error {
	m := &messageRow{MessageID: id, RequestID: request, Seq: at, Text: text, ByRole: role, AtNs: at}
	_, err := tx.NewInsert().Model(m).On("CONFLICT (message_id) DO NOTHING").Exec(ctx)
	return err
}
