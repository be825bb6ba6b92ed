// Package appointments is the read model of booked visits («Запись на
// приём»): each visit with its office, slot, ticket and status, read by the
// citizen's list, the free-slot view (a slot is shown free unless a visit
// holds it; the claim streams of the write side decide bookings) and the
// offices' ticket check.
package appointments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/projections/internal/readmodel"
)

// ProjectorName is the projector's consumer name and checkpoint key.
const ProjectorName = "appointments"

// row is one visit; Version is the account stream's version of the last
// event applied (a redelivery is at or below it). Times are Unix ns.
type row struct {
	bun.BaseModel `bun:"table:appointments"`

	AppointmentID string `bun:"appointment_id,pk"`
	AccountID     string `bun:"account_id,notnull"`
	Version       int64  `bun:"version,notnull"`
	Ticket        string `bun:"ticket,notnull"`
	OfficeID      string `bun:"office_id,notnull"`
	Purpose       string `bun:"purpose,notnull"`
	Status        string `bun:"status,notnull"`
	SlotNs        int64  `bun:"slot_ns,notnull"`
	SlotEndNs     int64  `bun:"slot_end_ns,notnull"`
	DocumentIDs   string `bun:"document_ids,notnull"`
	BookedNs      int64  `bun:"booked_ns,notnull"`
	UpdatedNs     int64  `bun:"updated_ns,notnull"`
}

// Projector builds the appointments read model.
type Projector struct{}

// NewProjector returns the appointments projector.
func NewProjector() *Projector { return &Projector{} }

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations are the appointments read model's tables, oldest first.
var Migrations = schema.Component{Name: ProjectorName, Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS "appointments" (
		"appointment_id" VARCHAR NOT NULL, "account_id" VARCHAR NOT NULL, "version" {int} NOT NULL,
		"ticket" VARCHAR NOT NULL, "office_id" VARCHAR NOT NULL, "purpose" VARCHAR NOT NULL, "status" VARCHAR NOT NULL,
		"slot_ns" {int} NOT NULL, "slot_end_ns" {int} NOT NULL, "document_ids" VARCHAR NOT NULL,
		"booked_ns" {int} NOT NULL, "updated_ns" {int} NOT NULL, PRIMARY KEY ("appointment_id"))`,
		`CREATE INDEX IF NOT EXISTS appointments_account ON appointments (account_id, slot_ns, appointment_id)`,
		`CREATE INDEX IF NOT EXISTS appointments_office ON appointments (office_id, slot_ns)`)},
}}

// Schema implements projections.Projector.
func (*Projector) Schema() schema.Component { return Migrations }

// Reset implements projections.Projector.
func (*Projector) Reset(ctx context.Context, db bun.IDB) error {
	_, err := db.NewDelete().Model((*row)(nil)).Where("1 = 1").Exec(ctx)
	return err
}

// Project implements projections.Projector. The table, event → row:
//
//	AppointmentBooked        → a visit (booked) at its office and slot
//	AppointmentReadyForVisit → ready_for_visit with its ticket
//	AppointmentRescheduled   → the new slot
//	AppointmentCancelled     → cancelled (the slot shows free again)
func (p *Projector) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	for _, rec := range events {
		account, ok := readmodel.AccountOf(rec.StreamID)
		if !ok || !strings.HasPrefix(rec.Type, "Appointment") {
			continue
		}
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return fmt.Errorf("appointments %s v%d: %w", rec.StreamID, rec.Version, err)
		}
		if err := apply(ctx, tx, account, rec, e); err != nil {
			return fmt.Errorf("appointments %s v%d: %w", rec.StreamID, rec.Version, err)
		}
	}
	return nil
}

func apply(ctx context.Context, tx bun.Tx, account string, rec eventstore.RecordedEvent, e domain.Event) error {
	at := domain.EventTime(e).UnixNano()
	if b, ok := e.(domain.AppointmentBooked); ok {
		ids := make([]string, len(b.DocumentIDs))
		for i, id := range b.DocumentIDs {
			ids[i] = id.String()
		}
		r := &row{AppointmentID: b.AppointmentID.String(), AccountID: account, Version: rec.Version, Ticket: b.Number,
			OfficeID: b.OfficeID, Purpose: b.Purpose, Status: "booked", SlotNs: b.Slot.UnixNano(), SlotEndNs: b.SlotEnd.UnixNano(),
			DocumentIDs: strings.Join(ids, ","), BookedNs: at, UpdatedNs: at}
		_, err := tx.NewInsert().Model(r).On("CONFLICT (appointment_id) DO NOTHING").Exec(ctx)
		return err
	}
	id := appointmentOf(e)
	r := new(row)
	err := tx.NewSelect().Model(r).Where("appointment_id = ?", id.String()).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Version <= r.Version {
		return nil // applied before: a redelivery
	}
	r.Version, r.UpdatedNs = rec.Version, at
	switch e := e.(type) {
	case domain.AppointmentReadyForVisit:
		r.Status, r.Ticket = domain.AppointmentReady, e.Ticket
	case domain.AppointmentRescheduled:
		r.SlotNs, r.SlotEndNs = e.Slot.UnixNano(), e.SlotEnd.UnixNano()
	case domain.AppointmentCancelled:
		r.Status = domain.AppointmentStatusCancelled
	}
	_, err = tx.NewUpdate().Model(r).WherePK().Exec(ctx)
	return err
}

func appointmentOf(e domain.Event) uuid.UUID {
	switch e := e.(type) {
	case domain.AppointmentReadyForVisit:
		return e.AppointmentID
	case domain.AppointmentRescheduled:
		return e.AppointmentID
	case domain.AppointmentCancelled:
		return e.AppointmentID
	}
	return uuid.Nil
}

// Appointment is one visit as the API shows it.
type Appointment struct {
	AppointmentID string    `json:"appointment_id"`
	AccountID     string    `json:"account_id"`
	Ticket        string    `json:"ticket"`
	OfficeID      string    `json:"office_id"`
	Purpose       string    `json:"purpose"`
	Status        string    `json:"status"`
	Slot          time.Time `json:"slot"`
	SlotEnd       time.Time `json:"slot_end"`
	DocumentIDs   []string  `json:"document_ids"`
	BookedAt      time.Time `json:"booked_at"`
}

func (r row) view() Appointment {
	ids := []string{}
	if r.DocumentIDs != "" {
		ids = strings.Split(r.DocumentIDs, ",")
	}
	return Appointment{AppointmentID: r.AppointmentID, AccountID: r.AccountID, Ticket: r.Ticket, OfficeID: r.OfficeID,
		Purpose: r.Purpose, Status: r.Status, Slot: time.Unix(0, r.SlotNs).UTC(), SlotEnd: time.Unix(0, r.SlotEndNs).UTC(),
		DocumentIDs: ids, BookedAt: time.Unix(0, r.BookedNs).UTC()}
}

// Reader reads the appointments read model.
type Reader struct{ db bun.IDB }

// NewReader reads from db.
func NewReader(db bun.IDB) *Reader { return &Reader{db: db} }

// Get returns visit id, or nil.
func (rd *Reader) Get(ctx context.Context, id string) (*Appointment, error) {
	var r row
	err := rd.db.NewSelect().Model(&r).Where("appointment_id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read appointment: %w", err)
	}
	v := r.view()
	return &v, nil
}

// List returns account's visits, soonest slot first, a page after cursor.
func (rd *Reader) List(ctx context.Context, account, cursor string, limit int) ([]Appointment, string, error) {
	c, ok, err := readmodel.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	q := rd.db.NewSelect().Model((*row)(nil)).Where("account_id = ?", account)
	if ok {
		q = q.Where("(slot_ns > ? OR (slot_ns = ? AND appointment_id > ?))", c.Key, c.Key, c.ID)
	}
	var rows []row
	if err := q.Order("slot_ns", "appointment_id").Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return nil, "", fmt.Errorf("list appointments: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = readmodel.Cursor{Key: last.SlotNs, ID: last.AppointmentID}.Encode()
	}
	out := make([]Appointment, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, next, nil
}

// Held returns the slot starts of office in [from, to) that a visit holds.
func (rd *Reader) Held(ctx context.Context, office string, from, to time.Time) (map[int64]bool, error) {
	var slots []int64
	err := rd.db.NewSelect().Model((*row)(nil)).Column("slot_ns").
		Where("office_id = ? AND slot_ns >= ? AND slot_ns < ? AND status <> ?", office, from.UnixNano(), to.UnixNano(), domain.AppointmentStatusCancelled).
		Scan(ctx, &slots)
	if err != nil {
		return nil, fmt.Errorf("read held slots: %w", err)
	}
	out := make(map[int64]bool, len(slots))
	for _, s := range slots {
		out[s] = true
	}
	return out, nil
}
