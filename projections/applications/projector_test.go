package applications

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/internal/projtest"
)

var today = domain.MustDate(2026, 4, 20)

// TestApplications_StopAndRestartMatchesDomainFoldAndRebuild stops the
// projection at random moments while applications move through their
// lifecycle, then checks every application, history included, against the
// domain's own fold and the table against a rebuild from 0.
func TestApplications_StopAndRestartMatchesDomainFoldAndRebuild(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, NewProjector())
		var ids []uuid.UUID
		r.StopAndRestart(t, 21, func() { ids = projtest.Traffic(t, r.Store, 10, 500, 4) })
		ctx := context.Background()
		rd := NewReader(db)
		total := 0
		for _, id := range ids {
			a, _ := projtest.Fold(t, r.Store, id)
			want := a.Applications()
			items, next, err := rd.List(ctx, ListQuery{AccountID: id, Limit: 500, Today: today})
			require.NoError(t, err)
			assert.Empty(t, next)
			require.Len(t, items, len(want))
			for i, s := range want {
				acc, st, err := rd.GetShared(ctx, s.ApplicationID)
				require.NoError(t, err)
				require.NotNil(t, st)
				got := Present(acc, st, today)
				assert.JSONEq(t, jsonOf(t, detailOf(id.String(), s, today)), jsonOf(t, got), "application %s", s.Number)
				item := items[len(items)-1-i] // newest first
				assert.Equal(t, s.Number, item.Number)
				assert.Equal(t, s.Status, item.Status)
				assert.Equal(t, s.Overdue(today), item.Overdue)
				acc, st, err = rd.GetStateByNumber(ctx, s.Number)
				require.NoError(t, err)
				byNumber := Present(acc, st, today)
				assert.Equal(t, got, byNumber)
			}
			total += len(want)
		}
		require.Positive(t, total)

		before := projtest.Dump(t, db, "application_views", "application_id")
		r.Rebuild(t, NewProjector())
		assert.Equal(t, before, projtest.Dump(t, db, "application_views", "application_id"), "a rebuild from 0 gives the same rows")
	})
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestApplications_RedeliveredBatchChangesNothing(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, NewProjector())
	projtest.Traffic(t, r.Store, 3, 200, 8)
	ctx := context.Background()
	recs, err := r.Store.ReadAll(ctx, 0, 10000)
	require.NoError(t, err)
	project := func(batch []eventstore.RecordedEvent) {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, NewProjector().Project(ctx, tx, batch))
		require.NoError(t, tx.Commit())
	}
	project(recs)
	once := projtest.Dump(t, db, "application_views", "application_id")
	require.NotEmpty(t, once)
	project(recs)
	project(recs[len(recs)/3:])
	for _, rec := range recs {
		project([]eventstore.RecordedEvent{rec})
	}
	assert.Equal(t, once, projtest.Dump(t, db, "application_views", "application_id"))
}

func TestList_PagesNewestFirstFiltersByStatusAndMarksOverdue(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, NewProjector())
	account := uuid.Must(uuid.NewV7())
	seedApplications(t, r.Store, account, 0, 7, func(i int) []domain.Event {
		if i%2 == 0 {
			return []domain.Event{domain.ApplicationAccepted{ApplicationRef: ref(i), OccurredAt: projtest.Start}}
		}
		return nil
	})
	r.CatchUp(t)
	rd := NewReader(db)
	ctx := context.Background()

	var numbers []string
	cursor := ""
	for page := 0; ; page++ {
		items, next, err := rd.List(ctx, ListQuery{AccountID: account, Cursor: cursor, Limit: 3, Today: today})
		require.NoError(t, err)
		for _, it := range items {
			numbers = append(numbers, it.Number)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	assert.Equal(t, []string{"2026-000006", "2026-000005", "2026-000004", "2026-000003", "2026-000002", "2026-000001", "2026-000000"}, numbers)

	accepted, _, err := rd.List(ctx, ListQuery{AccountID: account, Statuses: []string{domain.StatusAccepted}, Limit: 50, Today: today})
	require.NoError(t, err)
	require.Len(t, accepted, 4)
	for _, it := range accepted {
		assert.Equal(t, "Принято", it.StatusLabel)
	}
	late, _, err := rd.List(ctx, ListQuery{AccountID: account, Limit: 1, Today: domain.MustDate(2026, 5, 30)})
	require.NoError(t, err)
	assert.True(t, late[0].Overdue, "past the deadline while waiting on the authority")
	assert.False(t, accepted[0].Overdue)

	_, _, err = rd.List(ctx, ListQuery{AccountID: account, Cursor: "not-a-cursor", Limit: 3})
	assert.Error(t, err)
}

func TestDetail_WithoutStaffIDsKeepsRolesAndCitizens(t *testing.T) {
	d := Detail{History: []HistoryEntry{{ByRole: "citizen", By: "acc"}, {ByRole: "operator", By: "op-7"}}}
	d.WithoutStaffIDs()
	assert.Equal(t, "acc", d.History[0].By)
	assert.Empty(t, d.History[1].By)
	assert.Equal(t, "operator", d.History[1].ByRole)
}
