package journal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// pageRead is a staff read of a page naming several people.
func pageRead(i int, ids ...string) journal.Entry {
	e := entry(i)
	e.AccountID, e.AccountIDs, e.EventPositions = "", ids, nil
	e.ActorID, e.ActorRole, e.Action, e.Outcome, e.Reason = "op-1", "operator", "ReadOperatorQueue", journal.Done, ""
	return e
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func count(t *testing.T, db *sqldb.DB, query string) int {
	t.Helper()
	var n int
	require.NoError(t, db.NewRaw(query).Scan(context.Background(), &n))
	return n
}

func TestAccountSets_OneEntryNamesEveryPersonAndEachFindsIt(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 4})
		_, err := j.Append(ctx, entries(0, 4)...) // about acc-0 … acc-3 alone
		require.NoError(t, err)
		seqs, err := j.Append(ctx, pageRead(4, "acc-2", "acc-1", "acc-9", "acc-1"), pageRead(5, "acc-9", "acc-1", "acc-2"),
			pageRead(6, "acc-3", "acc-9"))
		require.NoError(t, err)

		e, err := j.Entry(ctx, seqs[0])
		require.NoError(t, err)
		assert.Equal(t, []string{"acc-1", "acc-2", "acc-9"}, e.AccountIDs, "sorted, each once")
		assert.Empty(t, e.AccountID)
		leaf := journal.CanonicalLeaf(e)
		assert.Contains(t, string(leaf), `{"v":2,`)
		assert.Contains(t, string(leaf), `"account_id":"","account_ids":["acc-1","acc-2","acc-9"],"outcome":"done"`)
		assert.Equal(t, rfc6962.DefaultHasher.HashLeaf(leaf), e.LeafHash)
		var decoded map[string]any
		require.NoError(t, json.Unmarshal(leaf, &decoded), "the leaf is JSON")
		one, err := j.Entry(ctx, 0)
		require.NoError(t, err)
		assert.Contains(t, string(journal.CanonicalLeaf(one)), `{"v":1,`, "an entry about one account keeps its leaf")
		single, err := j.Append(ctx, pageRead(7, "acc-5", "acc-5"))
		require.NoError(t, err)
		e, err = j.Entry(ctx, single[0])
		require.NoError(t, err)
		assert.Equal(t, "acc-5", e.AccountID, "a list of one is an entry about that account")
		assert.Empty(t, e.AccountIDs)
		assert.Contains(t, string(journal.CanonicalLeaf(e)), `{"v":1,`)

		// Two pages with the same people share one set: its members are written once.
		assert.Equal(t, 2, count(t, db, `SELECT COUNT(*) FROM journal_account_sets`))
		assert.Equal(t, 5, count(t, db, `SELECT COUNT(*) FROM journal_set_members`))

		seqsOf := func(f journal.Filter) []uint64 {
			es, err := j.Entries(ctx, f)
			require.NoError(t, err)
			var out []uint64
			for _, e := range es {
				out = append(out, e.Seq)
			}
			return out
		}
		assert.Equal(t, []uint64{1, seqs[0], seqs[1]}, seqsOf(journal.Filter{AccountID: "acc-1"}))
		assert.Equal(t, []uint64{seqs[0], seqs[1], seqs[2]}, seqsOf(journal.Filter{AccountID: "acc-9"}))
		assert.Equal(t, []uint64{3, seqs[2]}, seqsOf(journal.Filter{AccountID: "acc-3"}))
		assert.Equal(t, []uint64{seqs[1]}, seqsOf(journal.Filter{AccountID: "acc-1", FromSeq: seqs[0] + 1, Limit: 1}))
		assert.Equal(t, []uint64{1, seqs[0]}, seqsOf(journal.Filter{AccountID: "acc-1", Limit: 2}), "the limit holds across both halves")
		assert.Equal(t, []uint64{seqs[0], seqs[1], seqs[2]}, seqsOf(journal.Filter{AccountID: "acc-9", ActorID: "op-1"}))
		assert.Empty(t, seqsOf(journal.Filter{AccountID: "acc-9", ActorID: "actor-1"}))
		assert.Empty(t, seqsOf(journal.Filter{AccountID: "acc-9", Action: "GET cabinet"}))
		assert.Empty(t, seqsOf(journal.Filter{AccountID: "acc-"}), "no prefix match")

		// Erasing a person erases the personal fields of the pages that named them.
		n, err := j.EraseAccount(ctx, "acc-3")
		require.NoError(t, err)
		assert.Equal(t, int64(2), n)
		for _, e := range must(j.Entries(ctx, journal.Filter{})) {
			assert.Equal(t, e.Seq == 3 || e.Seq == seqs[2], e.Erased, "entry %d", e.Seq)
		}

		res, err := j.Verify(ctx)
		require.NoError(t, err)
		assert.True(t, res.OK, res.Reason)

		var out bytes.Buffer
		require.NoError(t, j.Export(ctx, &out, 0))
		lines, err := offlineVerify(&out, j.PublicKey())
		require.NoError(t, err)
		assert.Equal(t, []any{"acc-1", "acc-2", "acc-9"}, lines[seqs[0]]["account_ids"])
	})
}

func TestAccountSets_VerifyCatchesAnEditedListOrSet(t *testing.T) {
	cases := []struct{ name, edit, reason string }{
		{"a person removed from the list", `UPDATE journal_account_sets SET account_ids = 'acc-1,acc-9' WHERE account_ids = 'acc-1,acc-2,acc-9'`, "account set"},
		{"the list reordered", `UPDATE journal_account_sets SET account_ids = 'acc-9,acc-2,acc-1' WHERE account_ids = 'acc-1,acc-2,acc-9'`, "not canonical"},
		{"the entry moved to another set", `UPDATE journal_entries SET account_set = (SELECT account_set FROM journal_entries WHERE seq = 2) WHERE seq = 1`, "leaf hash"},
		{"the set deleted", `DELETE FROM journal_account_sets WHERE account_ids = 'acc-1,acc-2,acc-9'`, "without its accounts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
				ctx := context.Background()
				j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 2})
				_, err := j.Append(ctx, entry(0), pageRead(1, "acc-1", "acc-2", "acc-9"), pageRead(2, "acc-3", "acc-4"),
					pageRead(3, "acc-1"), entry(4))
				require.NoError(t, err)
				exec(t, db, c.edit)
				res, err := j.Verify(ctx)
				require.NoError(t, err)
				assert.False(t, res.OK)
				require.NotNil(t, res.FirstBadSeq, res.Reason)
				assert.Equal(t, uint64(1), *res.FirstBadSeq)
				assert.Contains(t, res.Reason, c.reason)
			})
		})
	}
}

func TestAccountSets_RefusesAmbiguousOrUnstorableLists(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{})
		both := pageRead(0, "acc-1", "acc-2")
		both.AccountID = "acc-1"
		for name, e := range map[string]journal.Entry{
			"one account and a list": both,
			"a comma in an id":       pageRead(0, "acc-1,acc-2", "acc-3"),
			"an empty id":            pageRead(0, "acc-1", ""),
		} {
			_, err := j.Append(ctx, e)
			assert.ErrorIs(t, err, journal.ErrBadRequest, name)
		}
		es, err := j.Entries(ctx, journal.Filter{})
		require.NoError(t, err)
		assert.Empty(t, es, "nothing was appended")
	})
}

// TestAccountSets_PagesMergeInterleavedSets pages through one person's
// entries, about them alone and on pages of four compositions whose reads
// interleave (two queues read in turn, a third only now and then), and
// finds each entry once, in seq order, whatever the limit and filters.
func TestAccountSets_PagesMergeInterleavedSets(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{})
		pages := [][]string{{"p", "a"}, {"p", "b"}, {"p", "c", "d"}, {"p", "a", "b"}}
		var es []journal.Entry
		var mine, mineReads, others []uint64
		for i := range 120 {
			var e journal.Entry
			switch {
			case i%7 == 0:
				e = entry(i)
				e.AccountID = "p"
			case i%11 == 0:
				e = pageRead(i, "x", "y") // not naming p
			case i < 40:
				e = pageRead(i, pages[i%2]...)
			case i < 80:
				e = pageRead(i, pages[2+i%5/4]...)
			default:
				e = pageRead(i, pages[i%4]...)
			}
			es = append(es, e)
		}
		seqs, err := j.Append(ctx, es...)
		require.NoError(t, err)
		for i, e := range es {
			switch {
			case e.AccountID == "p":
				mine = append(mine, seqs[i])
			case slices.Contains(e.AccountIDs, "p"):
				mine, mineReads = append(mine, seqs[i]), append(mineReads, seqs[i])
			default:
				others = append(others, seqs[i])
			}
		}
		require.NotEmpty(t, others)
		page := func(f journal.Filter) []uint64 {
			var got []uint64
			for {
				es, err := j.Entries(ctx, f)
				require.NoError(t, err)
				require.LessOrEqual(t, len(es), f.Limit)
				for _, e := range es {
					got = append(got, e.Seq)
				}
				if len(es) < f.Limit {
					return got
				}
				f.FromSeq = es[len(es)-1].Seq + 1
			}
		}
		for _, limit := range []int{1, 3, 7, 50, 500} {
			assert.Equal(t, mine, page(journal.Filter{AccountID: "p", Limit: limit}), "limit %d", limit)
			assert.Equal(t, mineReads, page(journal.Filter{AccountID: "p", Action: "ReadOperatorQueue", Limit: limit}), "limit %d", limit)
			assert.Equal(t, mineReads, page(journal.Filter{AccountID: "p", ActorID: "op-1", Limit: limit}), "limit %d", limit)
		}
		from := t0.Add(30 * time.Second)
		to := t0.Add(90 * time.Second)
		var inTime []uint64
		for i, e := range es {
			if (e.AccountID == "p" || slices.Contains(e.AccountIDs, "p")) && !e.At.Before(from) && e.At.Before(to) {
				inTime = append(inTime, seqs[i])
			}
		}
		assert.Equal(t, inTime, page(journal.Filter{AccountID: "p", From: from, To: to, Limit: 4}))
	})
}
