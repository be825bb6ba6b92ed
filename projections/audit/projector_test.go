package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/audit"
	"github.com/kabinet/kabinet/projections/internal/projtest"
)

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// appendAs appends one event of typ to account's stream by actor.
func appendAs(t *testing.T, store eventstore.Store, account uuid.UUID, version int64, typ, actor, role string, at time.Time) {
	t.Helper()
	exp := eventstore.Exact(version - 1)
	if version == 0 {
		exp = eventstore.NoStream
	}
	_, err := store.Append(context.Background(), "account-"+account.String(), exp, []eventstore.EventData{{
		ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1, Data: []byte(`{}`),
		Metadata:   []byte(fmt.Sprintf(`{"actor_id":%q,"actor_role":%q}`, actor, role)),
		OccurredAt: at,
	}})
	require.NoError(t, err)
}

func positions(t *testing.T, rd *audit.Reader, q audit.Query) []uint64 {
	t.Helper()
	var out []uint64
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100)
		refs, next, err := rd.List(context.Background(), q)
		require.NoError(t, err)
		for _, r := range refs {
			out = append(out, r.Position)
		}
		if next == "" {
			return out
		}
		q.Cursor = next
	}
}

func TestAudit_IndexesEveryEventByAccountActorRoleTypeAndTime(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, audit.NewProjector())
		a, b := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		appendAs(t, r.Store, a, 0, "AccountRegistered", a.String(), "citizen", t0)                          // 1
		appendAs(t, r.Store, b, 0, "AccountRegistered", b.String(), "citizen", t0.Add(time.Hour))           // 2
		appendAs(t, r.Store, a, 1, "SnilsLinked", a.String(), "citizen", t0.Add(2*time.Hour))               // 3
		appendAs(t, r.Store, a, 2, "IdentityVerified", "op-1", "operator", t0.Add(24*time.Hour))            // 4
		appendAs(t, r.Store, b, 1, "IdentityVerified", "op-1", "operator", t0.Add(25*time.Hour))            // 5
		appendAs(t, r.Store, b, 2, "SnilsLinked", b.String(), "citizen", t0.Add(26*time.Hour))              // 6
		appendAs(t, r.Store, b, 3, "IdentityVerificationRejected", "op-2", "operator", t0.Add(time.Minute)) // 7, occurred early
		r.CatchUp(t)
		rd := audit.NewReader(db)
		lim := 2
		assert.Equal(t, []uint64{1, 7, 2, 3, 4, 5, 6}, positions(t, rd, audit.Query{Limit: lim}), "oldest first by when it occurred")
		assert.Equal(t, []uint64{1, 3, 4}, positions(t, rd, audit.Query{AccountID: a.String(), Limit: lim}))
		assert.Equal(t, []uint64{4, 5}, positions(t, rd, audit.Query{ActorID: "op-1", Limit: lim}))
		assert.Equal(t, []uint64{7, 4, 5}, positions(t, rd, audit.Query{ActorRole: "operator", Limit: lim}))
		assert.Equal(t, []uint64{3, 6}, positions(t, rd, audit.Query{Type: "SnilsLinked", Limit: lim}))
		assert.Equal(t, []uint64{6}, positions(t, rd, audit.Query{Type: "SnilsLinked", From: t0.Add(3 * time.Hour), Limit: lim}))
		assert.Equal(t, []uint64{4}, positions(t, rd, audit.Query{ActorID: "op-1", From: t0.Add(24 * time.Hour), To: t0.Add(25 * time.Hour), Limit: lim}))
		assert.Empty(t, positions(t, rd, audit.Query{ActorID: "op-1", AccountID: a.String(), Type: "SnilsLinked", Limit: lim}))

		_, _, err := rd.List(context.Background(), audit.Query{Cursor: "bm90LWEtY3Vyc29y", Limit: lim})
		assert.ErrorIs(t, err, audit.ErrBadCursor)
	})
}

func TestAudit_ARedeliveryChangesNothingAndARebuildIsTheSame(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		p := audit.NewProjector()
		r := projtest.NewRig(t, db, p)
		seed := func() {
			for i := range 6 {
				id := uuid.Must(uuid.NewV7())
				appendAs(t, r.Store, id, 0, "AccountRegistered", id.String(), "citizen", t0.Add(time.Duration(i)*time.Second))
			}
		}
		r.StopAndRestart(t, 7, seed)
		before := projtest.Dump(t, db, "audit_events", "position")
		require.Len(t, before, 6)

		evs, err := r.Store.ReadAll(context.Background(), 0, 100)
		require.NoError(t, err)
		tx, err := db.BeginTx(context.Background(), nil)
		require.NoError(t, err)
		require.NoError(t, p.Project(context.Background(), tx, evs))
		require.NoError(t, tx.Commit())
		assert.Equal(t, before, projtest.Dump(t, db, "audit_events", "position"), "a redelivery changes nothing")

		r.Rebuild(t, p)
		assert.Equal(t, before, projtest.Dump(t, db, "audit_events", "position"), "a rebuild gives the same index")
	})
}

func TestAudit_TheIndexHoldsNoEventData(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, audit.NewProjector())
		id := uuid.Must(uuid.NewV7())
		_, err := r.Store.Append(context.Background(), "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{{
			ID: uuid.Must(uuid.NewV7()), Type: "SnilsLinked", SchemaVersion: 1, Data: []byte(`{"snils":"112-233-445 95"}`),
			Metadata: []byte(`{"actor_id":"x","actor_role":"citizen","source_ip":"10.9.8.7","user_agent":"ua/1"}`), OccurredAt: t0,
		}})
		require.NoError(t, err)
		r.CatchUp(t)
		rows := projtest.Dump(t, db, "audit_events", "position")
		require.Len(t, rows, 1)
		for _, v := range rows[0] {
			assert.NotContains(t, v, "112-233")
			assert.NotContains(t, v, "10.9.8.7")
			assert.NotContains(t, v, "ua/1")
		}
	})
}
