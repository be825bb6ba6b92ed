package appointments_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/appointments"
	"github.com/kabinet/kabinet/projections/internal/projtest"
)

var slot = time.Date(2026, 4, 2, 7, 0, 0, 0, time.UTC) // 10:00 Moscow

func appendAll(t *testing.T, store eventstore.Store, account uuid.UUID, events ...domain.Event) {
	t.Helper()
	md, _ := json.Marshal(map[string]string{"actor_role": "citizen"})
	data := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, v, b, err := domain.EncodeEvent(e)
		require.NoError(t, err)
		data[i] = eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: v, Data: b, Metadata: md, OccurredAt: domain.EventTime(e)}
	}
	_, err := store.Append(context.Background(), "account-"+account.String(), eventstore.Any, data)
	require.NoError(t, err)
}

func booked(id uuid.UUID, at time.Time) []domain.Event {
	return []domain.Event{
		domain.AppointmentBooked{AppointmentID: id, Number: "A-2026-00000" + id.String()[:1], OfficeID: "mfc-tverskoy", Purpose: "certificate",
			Slot: at, SlotEnd: at.Add(15 * time.Minute), By: "c", ByRole: "citizen", OccurredAt: slot.Add(-48 * time.Hour)},
		domain.AppointmentReadyForVisit{AppointmentID: id, Ticket: "A-2026-00000" + id.String()[:1], OccurredAt: slot.Add(-48 * time.Hour)},
	}
}

func TestAppointments_HeldSlotsFollowBookingsMovesAndCancellations(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, appointments.NewProjector())
		acc, a, b, c := uuid.New(), uuid.New(), uuid.New(), uuid.New()
		var events []domain.Event
		events = append(events, booked(a, slot)...)
		events = append(events, booked(b, slot.Add(15*time.Minute))...)
		events = append(events, booked(c, slot.Add(30*time.Minute))...)
		events = append(events,
			domain.AppointmentRescheduled{AppointmentID: b, OfficeID: "mfc-tverskoy", FromSlot: slot.Add(15 * time.Minute), Slot: slot.Add(time.Hour),
				SlotEnd: slot.Add(75 * time.Minute), By: "c", ByRole: "citizen", OccurredAt: slot.Add(-24 * time.Hour)},
			domain.AppointmentCancelled{AppointmentID: c, OfficeID: "mfc-tverskoy", Slot: slot.Add(30 * time.Minute), By: "c", ByRole: "citizen", OccurredAt: slot.Add(-24 * time.Hour)},
		)
		appendAll(t, r.Store, acc, events...)
		r.CatchUp(t)
		rd := appointments.NewReader(db)
		held, err := rd.Held(context.Background(), "mfc-tverskoy", slot, slot.Add(24*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, map[int64]bool{slot.UnixNano(): true, slot.Add(time.Hour).UnixNano(): true}, held,
			"a's slot and b's new one; b's old slot and cancelled c's are free")
		got, err := rd.Get(context.Background(), c.String())
		require.NoError(t, err)
		assert.Equal(t, domain.AppointmentStatusCancelled, got.Status)
		list, _, err := rd.List(context.Background(), acc.String(), "", 2)
		require.NoError(t, err)
		assert.Len(t, list, 2)

		before := projtest.Dump(t, db, "appointments", "appointment_id")
		r.Rebuild(t, appointments.NewProjector())
		assert.Equal(t, before, projtest.Dump(t, db, "appointments", "appointment_id"), "a rebuild from 0 gives the same rows")
	})
}
