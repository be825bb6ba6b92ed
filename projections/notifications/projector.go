// Package notifications is the notifications outbox of docs/DOMAIN.md §7: every
// verification outcome and every application status change becomes a
// notification row for the account, addressed by the account's
// preferences at that moment (channels on or off, "disable all"), either
// delivered at once (frequency immediate) or held for a daily or weekly
// digest. The projector only writes rows; Outbox delivers them after they
// commit, at least once, and sends the digests.
//
// Rows come from events and are rebuilt from them; what happened to a row
// afterwards — delivered on a channel, read, folded into a digest — is not
// an event but a fact of the read side, kept in notification_deliveries
// and notification_marks, which Reset leaves alone, together with the
// digest rows themselves. A rebuild therefore reproduces every row with
// its status and read flag and delivers nothing twice.
package notifications

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ProjectorName is the projector's consumer name and checkpoint key.
const ProjectorName = "notifications"

// Statuses of a notification.
const (
	// StatusPending: to be delivered now (frequency immediate).
	StatusPending = "pending"
	// StatusDigest: held for the next daily or weekly digest.
	StatusDigest = "digest"
	// StatusSent: delivered on every channel, or folded into a digest that was.
	StatusSent = "sent"
	// StatusMuted: no channel was on (or "disable all"): shown in the
	// cabinet, sent nowhere.
	StatusMuted = "muted"
)

// accountRow is what addressing an account's notifications needs: its
// preferences, its confirmed contacts and its applications' numbers and
// services, as of Version, the last stream version applied.
type accountRow struct {
	bun.BaseModel `bun:"table:notification_accounts"`

	AccountID string `bun:"account_id,pk"`
	Version   int64  `bun:"version,notnull"`
	Position  int64  `bun:"position,notnull"`
	Prefs     string `bun:"prefs,notnull"`
	Phone     string `bun:"phone,notnull"`
	Email     string `bun:"email,notnull"`
	Apps      string `bun:"apps,notnull"`
}

// appInfo names an application in a notification.
type appInfo struct {
	Number  string `json:"number"`
	Service string `json:"service"`
}

// row is one notification. Times are Unix nanoseconds (0: not yet).
type row struct {
	bun.BaseModel `bun:"table:notifications"`

	ID            string `bun:"id,pk"`
	AccountID     string `bun:"account_id,notnull"`
	Kind          string `bun:"kind,notnull"`
	Event         string `bun:"event,notnull"`
	ApplicationID string `bun:"application_id,notnull"`
	Title         string `bun:"title,notnull"`
	Text          string `bun:"text,notnull"`
	Recipients    string `bun:"recipients,notnull"`
	Frequency     string `bun:"frequency,notnull"`
	Status        string `bun:"status,notnull"`
	DigestID      string `bun:"digest_id,notnull"`
	CreatedNs     int64  `bun:"created_ns,notnull"`
	Position      int64  `bun:"position,notnull"`
	ReadNs        int64  `bun:"read_ns,notnull"`
	SentNs        int64  `bun:"sent_ns,notnull"`
}

// Recipient is one channel a notification goes to and the address there
// (a phone, an email, or the account id for push).
type Recipient struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
}

// delivery records that a notification went out on a channel.
type delivery struct {
	bun.BaseModel `bun:"table:notification_deliveries"`

	NotificationID string `bun:"notification_id,pk"`
	Channel        string `bun:"channel,pk"`
	SentNs         int64  `bun:"sent_ns,notnull"`
}

// mark records what the citizen and the digests did to a notification.
type mark struct {
	bun.BaseModel `bun:"table:notification_marks"`

	NotificationID string `bun:"notification_id,pk"`
	ReadNs         int64  `bun:"read_ns,notnull"`
	DigestID       string `bun:"digest_id,notnull"`
}

// Projector builds the notifications outbox.
type Projector struct{}

// NewProjector returns the notifications projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations are the notifications' tables, oldest first.
var Migrations = schema.Component{Name: ProjectorName, Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "notification_accounts" (
		"account_id" VARCHAR NOT NULL, "version" {int} NOT NULL, "position" {int} NOT NULL,
		"prefs" VARCHAR NOT NULL, "phone" VARCHAR NOT NULL, "email" VARCHAR NOT NULL,
		"apps" VARCHAR NOT NULL, PRIMARY KEY ("account_id"))`,
		`CREATE TABLE IF NOT EXISTS "notifications" (
		"id" VARCHAR NOT NULL, "account_id" VARCHAR NOT NULL, "kind" VARCHAR NOT NULL,
		"event" VARCHAR NOT NULL, "application_id" VARCHAR NOT NULL, "title" VARCHAR NOT NULL,
		"text" VARCHAR NOT NULL, "recipients" VARCHAR NOT NULL, "frequency" VARCHAR NOT NULL,
		"status" VARCHAR NOT NULL, "digest_id" VARCHAR NOT NULL, "created_ns" {int} NOT NULL,
		"position" {int} NOT NULL, "read_ns" {int} NOT NULL, "sent_ns" {int} NOT NULL,
		PRIMARY KEY ("id"))`,
		`CREATE TABLE IF NOT EXISTS "notification_deliveries" (
		"notification_id" VARCHAR NOT NULL, "channel" VARCHAR NOT NULL, "sent_ns" {int} NOT NULL,
		PRIMARY KEY ("notification_id", "channel"))`,
		`CREATE TABLE IF NOT EXISTS "notification_marks" (
		"notification_id" VARCHAR NOT NULL, "read_ns" {int} NOT NULL, "digest_id" VARCHAR NOT NULL,
		PRIMARY KEY ("notification_id"))`,
		`CREATE INDEX IF NOT EXISTS notifications_account ON notifications (account_id, created_ns, position, id)`,
		`CREATE INDEX IF NOT EXISTS notifications_status ON notifications (status, frequency, created_ns, id)`)},
	// The unread count every cabinet read asks for is counted on this
	// index alone (it covers the columns asked), without reading each of the
	// account's notifications.
	{ID: "0002_unread_index", Up: schema.SQL(`CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (account_id, read_ns, kind)
		WHERE read_ns = 0 AND kind <> '` + KindDigest + `'`)},
}}

// Schema implements projections.Projector.
func (*Projector) Schema() schema.Component { return Migrations }

// Reset implements projections.Projector: it empties what events make and
// keeps deliveries, marks and digests (see the package comment).
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	if _, err := db.NewDelete().Model((*accountRow)(nil)).Where("1 = 1").Exec(ctx); err != nil {
		return err
	}
	_, err := db.NewDelete().Model((*row)(nil)).Where("kind <> ?", KindDigest).Exec(ctx)
	return err
}

// relevant are the event types that address or make notifications.
var relevant = map[string]bool{
	"ContactConfirmed": true, "ContactRemoved": true, "NotificationPreferencesChanged": true,
	"IdentityVerified": true, "IdentityVerificationRejected": true, "VerificationDeadlineExtended": true,
	"IdentityVerificationCancelled": true, "AccountLevelLowered": true,
	"ApplicationSubmitted": true, "FeeCharged": true, "FeePaid": true, "ApplicationAccepted": true,
	"ApplicationReviewStarted": true, "ClarificationRequested": true, "ClarificationProvided": true,
	"ApplicationApproved": true, "ApplicationRejected": true, "ApplicationResubmitted": true,
	"ApplicationWithdrawn": true,
}

// isRelevant says whether events of type typ address or make notifications.
func isRelevant(typ string) bool { return relevant[typ] || slices.Contains(deskRelevant, typ) }

// account is an accountRow decoded for a batch.
type account struct {
	row   *accountRow
	prefs domain.NotificationPreferences
	apps  map[string]appInfo
	dirty bool
}

// Project implements projections.Projector: one query loads the batch's
// accounts; new notifications are written in one statement (a row already
// there is a redelivery and stays as it is).
func (p *Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	accounts, decoded, order, err := loadAccounts(ctx, tx, events)
	if err != nil {
		return err
	}
	var made []*row
	for i, rec := range events {
		e := decoded[i]
		if e == nil {
			continue
		}
		id, _ := readmodel.AccountOf(rec.StreamID)
		acc := accounts[id]
		if rec.Version <= acc.row.Version {
			continue // applied before: a redelivery
		}
		if n := apply(acc, e); n != nil {
			made = append(made, newRow(acc, rec, *n))
		}
		acc.row.Version, acc.row.Position, acc.dirty = rec.Version, int64(rec.Position), true
	}
	if err := saveAccounts(ctx, tx, accounts, order); err != nil {
		return err
	}
	if len(made) == 0 {
		return nil
	}
	if err := restoreAfterRebuild(ctx, tx, made); err != nil {
		return err
	}
	for start := 0; start < len(made); start += 500 {
		part := made[start:min(start+500, len(made))]
		if _, err := tx.NewInsert().Model(&part).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("save notifications: %w", err)
		}
	}
	return nil
}

// newRow addresses a notification by the account's preferences now.
func newRow(acc *account, rec eventstore.RecordedEvent, n notice) *row {
	recipients := addresses(acc, acc.prefs)
	status := StatusPending
	switch {
	case len(recipients) == 0:
		status = StatusMuted
	case acc.prefs.Frequency == domain.FrequencyDaily || acc.prefs.Frequency == domain.FrequencyWeekly:
		status = StatusDigest
	}
	b, _ := json.Marshal(recipients)
	return &row{
		ID:        readmodel.EventID("notification", rec.StreamID, rec.Version),
		AccountID: acc.row.AccountID, Kind: n.kind, Event: rec.Type, ApplicationID: n.applicationID,
		Title: n.title, Text: n.text, Recipients: string(b), Frequency: acc.prefs.Frequency, Status: status,
		CreatedNs: rec.OccurredAt.UnixNano(), Position: int64(rec.Position),
	}
}

// addresses are the channels prefs allows that the account can be reached
// on: SMS to a confirmed phone, email to a confirmed email, push to the
// account.
func addresses(acc *account, prefs domain.NotificationPreferences) []Recipient {
	out := []Recipient{}
	if prefs.Wants("email") && acc.row.Email != "" {
		out = append(out, Recipient{"email", acc.row.Email})
	}
	if prefs.Wants("sms") && acc.row.Phone != "" {
		out = append(out, Recipient{"sms", acc.row.Phone})
	}
	if prefs.Wants("push") {
		out = append(out, Recipient{"push", acc.row.AccountID})
	}
	return out
}

// restoreAfterRebuild gives rows made again by a rebuild what happened to
// them the first time: delivered, folded into a digest, read.
func restoreAfterRebuild(ctx context.Context, tx bun.Tx, made []*row) error {
	byID := make(map[string]*row, len(made))
	ids := make([]string, len(made))
	for i, r := range made {
		byID[r.ID], ids[i] = r, r.ID
	}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		var marks []mark
		if err := tx.NewSelect().Model(&marks).Where("notification_id IN (?)", bun.List(part)).Scan(ctx); err != nil {
			return fmt.Errorf("load notification marks: %w", err)
		}
		for _, m := range marks {
			r := byID[m.NotificationID]
			r.ReadNs = m.ReadNs
			if m.DigestID != "" && r.Status == StatusDigest {
				r.Status, r.DigestID = StatusSent, m.DigestID
			}
		}
		var sent []delivery
		if err := tx.NewSelect().Model(&sent).Where("notification_id IN (?)", bun.List(part)).Scan(ctx); err != nil {
			return fmt.Errorf("load notification deliveries: %w", err)
		}
		done := map[string]map[string]int64{}
		for _, d := range sent {
			if done[d.NotificationID] == nil {
				done[d.NotificationID] = map[string]int64{}
			}
			done[d.NotificationID][d.Channel] = d.SentNs
		}
		for id, channels := range done {
			if r := byID[id]; r.Status == StatusPending {
				r.Status, r.SentNs = allDelivered(r, channels)
			}
		}
	}
	return nil
}

// allDelivered says whether every recipient of r has a delivery, and when
// the last went.
func allDelivered(r *row, channels map[string]int64) (string, int64) {
	var recipients []Recipient
	_ = json.Unmarshal([]byte(r.Recipients), &recipients)
	var last int64
	for _, rc := range recipients {
		at, ok := channels[rc.Channel]
		if !ok {
			return StatusPending, 0
		}
		last = max(last, at)
	}
	return StatusSent, last
}

func loadAccounts(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) (map[string]*account, []domain.Event, []string, error) {
	accounts := map[string]*account{}
	decoded := make([]domain.Event, len(events))
	var ids []string
	for i, rec := range events {
		id, ok := readmodel.AccountOf(rec.StreamID)
		if !ok || !isRelevant(rec.Type) {
			continue
		}
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("notifications %s v%d: %w", rec.StreamID, rec.Version, err)
		}
		decoded[i] = e
		if accounts[id] == nil {
			accounts[id] = &account{row: &accountRow{AccountID: id, Version: -1},
				prefs: domain.DefaultNotificationPreferences(), apps: map[string]appInfo{}}
			ids = append(ids, id)
		}
	}
	for start := 0; start < len(ids); start += 500 {
		var rows []accountRow
		part := ids[start:min(start+500, len(ids))]
		if err := tx.NewSelect().Model(&rows).Where("account_id IN (?)", bun.List(part)).Scan(ctx); err != nil {
			return nil, nil, nil, fmt.Errorf("load notification accounts: %w", err)
		}
		for i := range rows {
			acc := accounts[rows[i].AccountID]
			acc.row = &rows[i]
			if err := json.Unmarshal([]byte(rows[i].Prefs), &acc.prefs); err != nil {
				return nil, nil, nil, fmt.Errorf("decode preferences of %s: %w", rows[i].AccountID, err)
			}
			if err := json.Unmarshal([]byte(rows[i].Apps), &acc.apps); err != nil {
				return nil, nil, nil, fmt.Errorf("decode applications of %s: %w", rows[i].AccountID, err)
			}
		}
	}
	return accounts, decoded, ids, nil
}

func saveAccounts(ctx context.Context, tx bun.Tx, accounts map[string]*account, order []string) error {
	var rows []accountRow
	for _, id := range order {
		acc := accounts[id]
		if !acc.dirty {
			continue
		}
		prefs, _ := json.Marshal(acc.prefs)
		apps, _ := json.Marshal(acc.apps)
		acc.row.Prefs, acc.row.Apps = string(prefs), string(apps)
		rows = append(rows, *acc.row)
	}
	for start := 0; start < len(rows); start += 500 {
		part := rows[start:min(start+500, len(rows))]
		_, err := tx.NewInsert().Model(&part).On("CONFLICT (account_id) DO UPDATE").
			Set("version = EXCLUDED.version, position = EXCLUDED.position, prefs = EXCLUDED.prefs").
			Set("phone = EXCLUDED.phone, email = EXCLUDED.email, apps = EXCLUDED.apps").Exec(ctx)
		if err != nil {
			return fmt.Errorf("save notification accounts: %w", err)
		}
	}
	return nil
}

// Purge implements projections.Purger: the account's notifications (with
// their addresses and texts), their deliveries and marks, and its
// addressing row are deleted; what was not yet sent is never sent.
func (*Projector) Purge(ctx context.Context, tx bun.Tx, accountID string) error {
	ids := tx.NewSelect().Model((*row)(nil)).Column("id").Where("account_id = ?", accountID)
	if _, err := tx.NewDelete().Model((*delivery)(nil)).Where("notification_id IN (?)", ids).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*mark)(nil)).Where("notification_id IN (?)", ids).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*row)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewDelete().Model((*accountRow)(nil)).Where("account_id = ?", accountID).Exec(ctx)
	return err
}
