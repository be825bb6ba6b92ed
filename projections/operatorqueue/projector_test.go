package operatorqueue_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/internal/projtest"
	"github.com/kabinet/kabinet/projections/operatorqueue"
)

var today = domain.MustDate(2026, 4, 20)

// TestQueue_StopAndRestartMatchesDomainFoldAndRebuild stops the projection
// at random moments under the whole domain's traffic, then checks the
// queue against what the domain's fold of every stream says is pending,
// and the tables against a rebuild from 0.
func TestQueue_StopAndRestartMatchesDomainFoldAndRebuild(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, operatorqueue.NewProjector())
		var ids []uuid.UUID
		r.StopAndRestart(t, 31, func() { ids = projtest.Traffic(t, r.Store, 12, 500, 6) })
		var want []operatorqueue.Item
		for _, id := range ids {
			a, _ := projtest.Fold(t, r.Store, id)
			want = append(want, expected(a.State())...)
		}
		sort.SliceStable(want, func(i, j int) bool { return want[i].QueuedAt.Before(want[j].QueuedAt) })
		got := all(t, operatorqueue.NewReader(db), "", 7)
		require.NotEmpty(t, want)
		assert.ElementsMatch(t, want, got)
		assert.True(t, sort.SliceIsSorted(got, func(i, j int) bool { return got[i].QueuedAt.Before(got[j].QueuedAt) }), "oldest first")

		tables := func() [][]map[string]string {
			return [][]map[string]string{
				projtest.Dump(t, db, "operator_queue", "item_id"),
				projtest.Dump(t, db, "operator_queue_accounts", "account_id"),
			}
		}
		// Position is the projector's checkpoint: the head once caught up.
		head, err := r.Store.Head(context.Background())
		require.NoError(t, err)
		rd := operatorqueue.NewReader(db)
		pos, err := rd.Position(context.Background())
		require.NoError(t, err)
		assert.Equal(t, head, pos)
		fresh := sqltest.SQLite(t)
		_, err = esbus.NewSQLCheckpoints(context.Background(), fresh)
		require.NoError(t, err)
		empty, err := operatorqueue.NewReader(fresh).Position(context.Background())
		require.NoError(t, err, "a queue with no checkpoint yet")
		assert.Zero(t, empty)

		before := tables()
		r.Rebuild(t, operatorqueue.NewProjector())
		assert.Equal(t, before, tables(), "a rebuild from 0 gives the same rows")
		pos, err = rd.Position(context.Background())
		require.NoError(t, err)
		assert.Equal(t, head, pos, "a rebuild ends where the log does")
	})
}

// expected is the pending work of one account, as the domain's state shows it.
func expected(s domain.AccountState) []operatorqueue.Item {
	person := operatorqueue.Person{Surname: s.Surname, GivenNames: s.GivenNames, Patronymic: s.Patronymic}
	var out []operatorqueue.Item
	if v := s.Verification; v.Status == domain.VerificationPending {
		out = append(out, operatorqueue.Item{Kind: "identity", AccountID: s.AccountID.String(), Person: person,
			Method: v.Method.String(), Status: v.Status, QueuedAt: v.RequestedAt.UTC(), Deadline: v.Deadline,
			Extended: v.Extended, Overdue: today.After(v.Deadline)})
	}
	operator := []string{domain.StatusSubmitted, domain.StatusAccepted, domain.StatusInReview}
	for _, app := range s.Applications {
		if !slices.Contains(operator, app.Status) {
			continue
		}
		// In the queue since it last came to the authority.
		var queued time.Time
		open := false
		for _, h := range app.History {
			now := slices.Contains(operator, h.Status)
			if now && !open {
				queued = h.At
			}
			open = now
		}
		out = append(out, operatorqueue.Item{Kind: "application", AccountID: s.AccountID.String(), Person: person,
			ApplicationID: app.ApplicationID.String(), Number: app.Number, Service: app.Service,
			Status: app.Status, StatusLabel: app.StatusLabel, QueuedAt: queued.UTC(), Deadline: app.Deadline,
			Overdue: app.Overdue(today)})
	}
	return out
}

// all pages through the queue with pages of size limit.
func all(t *testing.T, rd *operatorqueue.Reader, kind string, limit int) []operatorqueue.Item {
	var out []operatorqueue.Item
	cursor := ""
	for {
		items, next, err := rd.List(context.Background(), operatorqueue.Query{Kind: kind, Cursor: cursor, Limit: limit, Today: today})
		require.NoError(t, err)
		out = append(out, items...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

func TestQueue_KindFilterAndRedeliveredBatch(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, operatorqueue.NewProjector())
	projtest.Traffic(t, r.Store, 6, 400, 9)
	ctx := context.Background()
	recs, err := r.Store.ReadAll(ctx, 0, 100000)
	require.NoError(t, err)
	project := func(batch []eventstore.RecordedEvent) {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, operatorqueue.NewProjector().Project(ctx, tx, batch))
		require.NoError(t, tx.Commit())
	}
	project(recs)
	once := projtest.Dump(t, db, "operator_queue", "item_id")
	project(recs[len(recs)/2:])
	for _, rec := range recs[:len(recs)/2] {
		project([]eventstore.RecordedEvent{rec})
	}
	assert.Equal(t, once, projtest.Dump(t, db, "operator_queue", "item_id"), "a redelivery changes nothing")

	rd := operatorqueue.NewReader(db)
	both := all(t, rd, "", 500)
	identity := all(t, rd, operatorqueue.KindIdentity, 2)
	apps := all(t, rd, operatorqueue.KindApplication, 3)
	assert.Len(t, both, len(identity)+len(apps))
	for _, it := range identity {
		assert.Equal(t, "identity", it.Kind)
		assert.Equal(t, "service_center", it.Method)
		assert.Equal(t, "Каримов", it.Person.Surname)
	}
	for _, it := range apps {
		assert.Equal(t, "application", it.Kind)
		assert.NotEmpty(t, it.Number)
	}
	_, _, err = rd.List(ctx, operatorqueue.Query{Cursor: "%%%", Limit: 5})
	assert.Error(t, err)
}
