package support_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/internal/projtest"
	"github.com/kabinet/kabinet/projections/support"
)

var t0 = time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC) // 10:00 Moscow

// appendAll writes events to account's stream as recorded facts.
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

func opened(id uuid.UUID, number string, at time.Time) domain.SupportRequestOpened {
	return domain.SupportRequestOpened{RequestID: id, Number: number, Topic: "t", Text: "x", Priority: domain.PriorityNormal,
		FirstAnswerDue: domain.SupportDeadline(at, domain.SupportFirstAnswer), ResolutionDue: domain.SupportDeadline(at, domain.SupportResolution),
		By: "c", ByRole: "citizen", OccurredAt: at}
}

func TestSupport_QueueOrdersByTheRunningDeadlineAndRebuildsAlike(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, support.NewProjector())
		acc, a, b, c := uuid.New(), uuid.New(), uuid.New(), uuid.New()
		appendAll(t, r.Store, acc,
			opened(a, "S-2026-000001", t0),
			opened(b, "S-2026-000002", t0.Add(time.Minute)),
			opened(c, "S-2026-000003", t0.Add(2*time.Minute)),
			domain.SupportMessagePosted{RequestID: a, MessageID: uuid.New(), Text: "ответ", By: "o", ByRole: "operator", OccurredAt: t0.Add(3 * time.Minute)},
			domain.SupportRequestResolved{RequestID: c, By: "o", ByRole: "operator", OccurredAt: t0.Add(4 * time.Minute)},
		)
		r.CatchUp(t)
		rd := support.NewReader(db)
		q, _, err := rd.Queue(context.Background(), "", 10, t0.Add(30*time.Minute))
		require.NoError(t, err)
		require.Len(t, q, 2, "resolved requests leave the queue")
		assert.Equal(t, b.String(), q[0].RequestID, "b's answer is due first (and overdue)")
		assert.True(t, q[0].Overdue)
		assert.Equal(t, a.String(), q[1].RequestID, "a, answered, waits on its resolution")
		assert.False(t, q[1].Overdue)

		before := projtest.Dump(t, db, "support_requests", "request_id")
		msgs := projtest.Dump(t, db, "support_messages", "message_id")
		r.Rebuild(t, support.NewProjector())
		assert.Equal(t, before, projtest.Dump(t, db, "support_requests", "request_id"), "a rebuild from 0 gives the same rows")
		assert.Equal(t, msgs, projtest.Dump(t, db, "support_messages", "message_id"))

		recs, err := r.Store.ReadAll(context.Background(), 0, 100)
		require.NoError(t, err)
		require.NoError(t, db.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
			return support.NewProjector().Project(ctx, tx, recs)
		}))
		assert.Equal(t, before, projtest.Dump(t, db, "support_requests", "request_id"), "a redelivery changes nothing")
		assert.Equal(t, msgs, projtest.Dump(t, db, "support_messages", "message_id"))
	})
}
