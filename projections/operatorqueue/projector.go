// Package operatorqueue is the operators' work queue: identity
// verifications requested and not yet decided, and applications waiting on
// the authority (submitted, accepted, in review), each with its deadline,
// oldest first.
package operatorqueue

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ProjectorName is the projector's consumer name and checkpoint key.
const ProjectorName = "operator_queue"

// Item kinds.
const (
	KindIdentity    = "identity"
	KindApplication = "application"
)

// accountRow is who an account's person is, for the operator's eyes, and
// the last stream version applied: an event at or below it is a
// redelivery and changes nothing.
type accountRow struct {
	bun.BaseModel `bun:"table:operator_queue_accounts"`

	AccountID  string `bun:"account_id,pk"`
	Version    int64  `bun:"version,notnull"`
	Position   int64  `bun:"position,notnull"`
	Surname    string `bun:"surname,notnull"`
	GivenNames string `bun:"given_names,notnull"`
	Patronymic string `bun:"patronymic,notnull"`
}

// itemRow is one verification (ItemID "identity:<account>") or application
// (its id). Open says it waits on an operator now; QueuedNs (Unix ns) is
// when it last entered the queue, the queue's order. Closed items stay, so
// an application that comes back keeps its number and service.
type itemRow struct {
	bun.BaseModel `bun:"table:operator_queue"`

	ItemID        string `bun:"item_id,pk"`
	Kind          string `bun:"kind,notnull"`
	AccountID     string `bun:"account_id,notnull"`
	ApplicationID string `bun:"application_id,notnull"`
	Number        string `bun:"number,notnull"`
	Service       string `bun:"service,notnull"`
	Method        string `bun:"method,notnull"`
	Status        string `bun:"status,notnull"`
	Open          bool   `bun:"open,notnull"`
	QueuedNs      int64  `bun:"queued_ns,notnull"`
	Deadline      string `bun:"deadline,notnull"`
	Extended      bool   `bun:"extended,notnull"`
}

// Projector builds the operator queue.
type Projector struct{}

// NewProjector returns the operator queue projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations are the operator queue's tables, oldest first.
var Migrations = schema.Component{Name: ProjectorName, Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "operator_queue_accounts" (
		"account_id" VARCHAR NOT NULL, "version" {int} NOT NULL, "position" {int} NOT NULL,
		"surname" VARCHAR NOT NULL, "given_names" VARCHAR NOT NULL, "patronymic" VARCHAR NOT NULL,
		PRIMARY KEY ("account_id"))`,
		`CREATE TABLE IF NOT EXISTS "operator_queue" (
		"item_id" VARCHAR NOT NULL, "kind" VARCHAR NOT NULL, "account_id" VARCHAR NOT NULL,
		"application_id" VARCHAR NOT NULL, "number" VARCHAR NOT NULL, "service" VARCHAR NOT NULL,
		"method" VARCHAR NOT NULL, "status" VARCHAR NOT NULL, "open" BOOLEAN NOT NULL,
		"queued_ns" {int} NOT NULL, "deadline" VARCHAR NOT NULL, "extended" BOOLEAN NOT NULL,
		PRIMARY KEY ("item_id"))`,
		`CREATE INDEX IF NOT EXISTS operator_queue_open_kind ON operator_queue (open, kind, queued_ns, item_id)`,
		`CREATE INDEX IF NOT EXISTS operator_queue_open ON operator_queue (open, queued_ns, item_id)`)},
}}

// Schema implements projections.Projector.
func (*Projector) Schema() schema.Component { return Migrations }

// Reset implements projections.Projector.
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	for _, m := range []any{(*accountRow)(nil), (*itemRow)(nil)} {
		if _, err := db.NewDelete().Model(m).Where("1 = 1").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// batch is what one Project call has loaded and changed.
type batch struct {
	accounts map[string]*accountRow
	items    map[string]*itemRow
	changedA []string
	changedI []string
	seenA    map[string]bool
	seenI    map[string]bool
}

// Project implements projections.Projector: one query loads the batch's
// accounts, one its items; each changed row is written back once.
func (p *Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	b, decoded, err := p.load(ctx, tx, events)
	if err != nil {
		return err
	}
	for i, rec := range events {
		e := decoded[i]
		if e == nil {
			continue
		}
		id, _ := readmodel.AccountOf(rec.StreamID)
		acc := b.accounts[id]
		if rec.Version <= acc.Version {
			continue // applied before: a redelivery
		}
		b.apply(acc, e)
		acc.Version, acc.Position = rec.Version, int64(rec.Position)
		b.touchAccount(id)
	}
	return b.save(ctx, tx)
}

// relevant are the event types that change the queue or its names.
var relevant = map[string]bool{
	"AccountRegistered": true, "PersonalDataProvided": true,
	"IdentityVerificationRequested": true, "VerificationDeadlineExtended": true,
	"IdentityVerified": true, "IdentityVerificationRejected": true, "IdentityVerificationReset": true,
	"ApplicationSubmitted": true, "FeeCharged": true, "FeePaid": true, "ApplicationAccepted": true,
	"ApplicationReviewStarted": true, "ClarificationRequested": true, "ClarificationProvided": true,
	"ApplicationApproved": true, "ApplicationRejected": true, "ApplicationResubmitted": true,
	"ApplicationWithdrawn": true, "ComplaintUpheld": true,
}

func (p *Projector) load(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) (*batch, []domain.Event, error) {
	b := &batch{accounts: map[string]*accountRow{}, items: map[string]*itemRow{}, seenA: map[string]bool{}, seenI: map[string]bool{}}
	decoded := make([]domain.Event, len(events))
	var accountIDs, itemIDs []string
	for i, rec := range events {
		id, ok := readmodel.AccountOf(rec.StreamID)
		if !ok || !relevant[rec.Type] {
			continue
		}
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("operator queue %s v%d: %w", rec.StreamID, rec.Version, err)
		}
		decoded[i] = e
		if b.accounts[id] == nil {
			b.accounts[id] = &accountRow{AccountID: id, Version: -1}
			accountIDs = append(accountIDs, id)
			itemIDs = append(itemIDs, identityItem(id))
		}
		if ref, _, ok := domain.ApplicationStatusOf(e); ok {
			itemIDs = append(itemIDs, ref.ApplicationID.String())
		}
	}
	if len(accountIDs) == 0 {
		return b, decoded, nil
	}
	var accs []accountRow
	if err := tx.NewSelect().Model(&accs).Where("account_id IN (?)", bun.List(accountIDs)).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("load operator queue accounts: %w", err)
	}
	for i := range accs {
		b.accounts[accs[i].AccountID] = &accs[i]
	}
	for start := 0; start < len(itemIDs); start += 500 {
		var items []itemRow
		part := itemIDs[start:min(start+500, len(itemIDs))]
		if err := tx.NewSelect().Model(&items).Where("item_id IN (?)", bun.List(part)).Scan(ctx); err != nil {
			return nil, nil, fmt.Errorf("load operator queue items: %w", err)
		}
		for i := range items {
			b.items[items[i].ItemID] = &items[i]
		}
	}
	return b, decoded, nil
}

func identityItem(account string) string { return "identity:" + account }

func (b *batch) touchAccount(id string) {
	if !b.seenA[id] {
		b.seenA[id] = true
		b.changedA = append(b.changedA, id)
	}
}

func (b *batch) touchItem(id string) {
	if !b.seenI[id] {
		b.seenI[id] = true
		b.changedI = append(b.changedI, id)
	}
}

func (b *batch) save(ctx context.Context, tx bun.Tx) error {
	if len(b.changedA) > 0 {
		rows := make([]accountRow, len(b.changedA))
		for i, id := range b.changedA {
			rows[i] = *b.accounts[id]
		}
		for start := 0; start < len(rows); start += 500 {
			part := rows[start:min(start+500, len(rows))]
			_, err := tx.NewInsert().Model(&part).On("CONFLICT (account_id) DO UPDATE").
				Set("version = EXCLUDED.version, position = EXCLUDED.position, surname = EXCLUDED.surname").
				Set("given_names = EXCLUDED.given_names, patronymic = EXCLUDED.patronymic").Exec(ctx)
			if err != nil {
				return fmt.Errorf("save operator queue accounts: %w", err)
			}
		}
	}
	if len(b.changedI) > 0 {
		rows := make([]itemRow, len(b.changedI))
		for i, id := range b.changedI {
			rows[i] = *b.items[id]
		}
		for start := 0; start < len(rows); start += 500 {
			part := rows[start:min(start+500, len(rows))]
			_, err := tx.NewInsert().Model(&part).On("CONFLICT (item_id) DO UPDATE").
				Set("number = EXCLUDED.number, service = EXCLUDED.service, method = EXCLUDED.method").
				Set("status = EXCLUDED.status, open = EXCLUDED.open, queued_ns = EXCLUDED.queued_ns").
				Set("deadline = EXCLUDED.deadline, extended = EXCLUDED.extended").Exec(ctx)
			if err != nil {
				return fmt.Errorf("save operator queue items: %w", err)
			}
		}
	}
	return nil
}

// Purge implements projections.Purger: the account's queue items and
// state are deleted.
func (*Projector) Purge(ctx context.Context, tx bun.Tx, accountID string) error {
	if _, err := tx.NewDelete().Model((*itemRow)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewDelete().Model((*accountRow)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return err
}
