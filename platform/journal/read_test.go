package journal_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// actorHistory is 40 entries in which "cit-1" acts on their own account,
// on another one and on none, others act on cit-1's account, and staff act
// on everyone's; it returns each entry's actor.
func actorHistory(t *testing.T, j *journal.Journal) []string {
	t.Helper()
	var es []journal.Entry
	for i := range 40 {
		e := entry(i)
		switch i % 5 {
		case 0: // a citizen on their own account
			e.ActorID, e.AccountID = "cit-1", "cit-1"
		case 1: // the same citizen on another account (a contact claim, say)
			e.ActorID, e.AccountID = "cit-1", "cit-2"
		case 2: // another citizen on their own account
			e.ActorID, e.AccountID = "cit-2", "cit-2"
		case 3: // staff on cit-1's account
			e.ActorID, e.AccountID = "op-1", "cit-1"
		case 4: // an actor on no account
			e.ActorID, e.AccountID = []string{"cit-1", "anonymous"}[i%2], ""
		}
		es = append(es, e)
	}
	_, err := j.Append(context.Background(), es...)
	require.NoError(t, err)
	actors := make([]string, len(es))
	for i, e := range es {
		actors[i] = e.ActorID
	}
	return actors
}

func TestEntries_ActorFilterFindsTheActorOnTheirOwnAccountOnOthersAndOnNone(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{})
		actors := actorHistory(t, j)
		want := func(actor string, from uint64, keep func(i int) bool) []uint64 {
			out := []uint64{}
			for i, a := range actors {
				if a == actor && uint64(i) >= from && keep(i) {
					out = append(out, uint64(i))
				}
			}
			return out
		}
		all := func(int) bool { return true }
		seqsOf := func(f journal.Filter) []uint64 {
			t.Helper()
			es, err := j.Entries(ctx, f)
			require.NoError(t, err)
			out := []uint64{}
			for i, e := range es {
				out = append(out, e.Seq)
				require.Equal(t, f.ActorID, e.ActorID)
				if i > 0 {
					require.Less(t, es[i-1].Seq, e.Seq, "seq order")
				}
			}
			return out
		}
		for _, actor := range []string{"cit-1", "cit-2", "op-1", "anonymous", "nobody"} {
			assert.Equal(t, want(actor, 0, all), seqsOf(journal.Filter{ActorID: actor, Limit: 100}), actor)
		}
		cit1 := want("cit-1", 0, all)
		assert.Equal(t, cit1[:4], seqsOf(journal.Filter{ActorID: "cit-1", Limit: 4}), "first page")
		assert.Equal(t, cit1[4:8], seqsOf(journal.Filter{ActorID: "cit-1", FromSeq: cit1[3] + 1, Limit: 4}), "next page")
		assert.Equal(t, want("cit-1", 0, func(i int) bool { return i%3 == 0 }),
			seqsOf(journal.Filter{ActorID: "cit-1", Outcome: journal.Done, Limit: 100}), "with an outcome")
		assert.Equal(t, want("cit-1", 0, func(i int) bool { return i%5 == 0 }),
			seqsOf(journal.Filter{ActorID: "cit-1", AccountID: "cit-1", Limit: 100}), "on their own account")
		assert.Equal(t, want("cit-1", 0, func(i int) bool { return i%5 == 1 }),
			seqsOf(journal.Filter{ActorID: "cit-1", AccountID: "cit-2", Limit: 100}), "on another account")
		assert.Equal(t, want("op-1", 0, all),
			seqsOf(journal.Filter{ActorID: "op-1", AccountID: "cit-1", Limit: 100}), "staff on an account")
	})
}

func TestOpen_ReplacesTheIndexOfEveryActorOfAnOlderJournal(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		k := newKey(t)
		j := open(t, db, k, journal.Options{})
		actors := actorHistory(t, j)
		_, err := db.ExecContext(ctx, `DROP INDEX journal_entries_actor_other`)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `CREATE INDEX journal_entries_actor ON journal_entries (actor_id, seq)`)
		require.NoError(t, err)
		// An older journal predates versioned migrations: nothing recorded.
		_, err = db.ExecContext(ctx, `DELETE FROM bun_migrations WHERE name LIKE 'journal/%'`)
		require.NoError(t, err)

		j = open(t, db, k, journal.Options{})
		assert.Equal(t, []string{"journal_entries_account", "journal_entries_actor_other", "journal_entries_at", "journal_entries_set"},
			entryIndexes(t, db))
		es, err := j.Entries(ctx, journal.Filter{ActorID: "op-1", Limit: 100})
		require.NoError(t, err)
		assert.Len(t, es, len(actors)/5)
	})
}

// entryIndexes names the secondary indexes of journal_entries, sorted.
func entryIndexes(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal_entries'
		AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`
	if db.IsPostgres() {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()
			AND tablename = 'journal_entries' AND indexname <> 'journal_entries_pkey' ORDER BY indexname`
	}
	var names []string
	require.NoError(t, db.NewRaw(q).Scan(context.Background(), &names))
	return names
}

// The actor filter reads two index ranges in seq order, each stopping at
// the page's end whatever the size of the journal, and merges the two pages.
func TestEntries_ActorFilterOnSQLiteReadsIndexesNotTheTable(t *testing.T) {
	db := sqltest.SQLite(t)
	open(t, db, newKey(t), journal.Options{})
	rows, err := db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN
		SELECT * FROM (SELECT seq FROM journal_entries WHERE seq >= 0 AND actor_id = 'a' AND actor_id <> account_id
			ORDER BY seq LIMIT 50) AS other
		UNION ALL SELECT * FROM (SELECT seq FROM journal_entries WHERE seq >= 0 AND account_id = 'a'
			AND actor_id = account_id ORDER BY seq LIMIT 50) AS own ORDER BY seq LIMIT 50`)
	require.NoError(t, err)
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
		plan += fmt.Sprintln(detail)
	}
	require.NoError(t, rows.Err())
	assert.Contains(t, plan, "USING INDEX journal_entries_actor_other (actor_id=? AND seq>?)", plan)
	assert.Contains(t, plan, "USING INDEX journal_entries_account (account_id=? AND seq>?)", plan)
	assert.NotContains(t, plan, "SCAN journal_entries", plan)
}

func TestLeafHashAt_IsTheStoredLeafsHashAndNotFoundPastTheTree(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{})
		seqs, err := j.Append(ctx, entry(0), entry(1))
		require.NoError(t, err)
		es, err := j.Entries(ctx, journal.Filter{})
		require.NoError(t, err)
		require.Len(t, es, 2)
		for i, seq := range seqs {
			h, err := j.LeafHashAt(ctx, db, seq)
			require.NoError(t, err)
			assert.Equal(t, es[i].LeafHash, h)
		}
		_, err = j.LeafHashAt(ctx, db, seqs[1]+1)
		assert.ErrorIs(t, err, journal.ErrNotFound)
	})
}
