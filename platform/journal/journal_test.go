package journal_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// testKey is a signing key made once for the package's tests.
type testKey struct {
	skey, vkey string
	signer     note.Signer
	verifier   note.Verifier
}

func newKey(t testing.TB) testKey {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	s, v, vk, err := journal.ParseKey(skey)
	require.NoError(t, err)
	require.Equal(t, vkey, vk, "ParseKey derives the published verifier key")
	return testKey{skey: skey, vkey: vkey, signer: s, verifier: v}
}

func open(t testing.TB, db *sqldb.DB, k testKey, opts journal.Options) *journal.Journal {
	t.Helper()
	opts.VerifierKey = k.vkey
	j, err := journal.Open(context.Background(), db, k.signer, k.verifier, opts)
	require.NoError(t, err)
	return j
}

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// entry makes the i-th entry of a test history.
func entry(i int) journal.Entry {
	outcomes := []journal.Outcome{journal.Done, journal.Refused, journal.Denied}
	e := journal.Entry{
		At:            t0.Add(time.Duration(i) * time.Second),
		ActorID:       fmt.Sprintf("actor-%d", i%3),
		ActorRole:     "citizen",
		Action:        []string{"RegisterAccount", "ConfirmContact", "GET cabinet"}[i%3],
		AccountID:     fmt.Sprintf("acc-%d", i%4),
		Outcome:       outcomes[i%3],
		CorrelationID: fmt.Sprintf("corr-%d", i),
		IP:            fmt.Sprintf("10.0.0.%d", i%250),
		UserAgent:     "Mozilla/5.0 \"test\" \u2028 ✓",
	}
	switch e.Outcome {
	case journal.Done:
		e.EventPositions = []uint64{uint64(2*i + 1), uint64(2*i + 2)}
	case journal.Refused:
		e.Reason = "code_invalid"
	case journal.Denied:
		e.Reason = "forbidden"
	}
	return e
}

func entries(from, n int) []journal.Entry {
	out := make([]journal.Entry, n)
	for i := range out {
		out[i] = entry(from + i)
	}
	return out
}

func TestAppend_AssignsContiguousSeqsAndReadsBack(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{})
		seqs, err := j.Append(ctx, entries(0, 3)...)
		require.NoError(t, err)
		assert.Equal(t, []uint64{0, 1, 2}, seqs)
		seqs, err = j.Append(ctx, entry(3))
		require.NoError(t, err)
		assert.Equal(t, []uint64{3}, seqs)

		size, err := j.Size(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(4), size)

		got, err := j.Entries(ctx, journal.Filter{})
		require.NoError(t, err)
		require.Len(t, got, 4)
		want := entry(0)
		e := got[0]
		assert.Equal(t, uint64(0), e.Seq)
		assert.True(t, want.At.Equal(e.At))
		assert.Equal(t, want.ActorID, e.ActorID)
		assert.Equal(t, want.Action, e.Action)
		assert.Equal(t, want.AccountID, e.AccountID)
		assert.Equal(t, want.Outcome, e.Outcome)
		assert.Equal(t, want.EventPositions, e.EventPositions)
		assert.Equal(t, want.IP, e.IP)
		assert.Equal(t, want.UserAgent, e.UserAgent)
		assert.Len(t, e.IPHash, 32)
		assert.Len(t, e.UserAgentHash, 32)
		assert.Len(t, e.LeafHash, 32)
		assert.False(t, e.Erased)
		assert.Equal(t, "code_invalid", got[1].Reason)

		one, err := j.Entry(ctx, 2)
		require.NoError(t, err)
		assert.Equal(t, got[2], one)
		_, err = j.Entry(ctx, 9)
		assert.ErrorIs(t, err, journal.ErrNotFound)
	})
}

func TestAppend_RefusesEntriesWithoutActionOrOutcome(t *testing.T) {
	db := sqltest.SQLite(t)
	j := open(t, db, newKey(t), journal.Options{})
	ctx := context.Background()
	_, err := j.Append(ctx, journal.Entry{Outcome: journal.Done})
	assert.ErrorContains(t, err, "action is required")
	_, err = j.Append(ctx, journal.Entry{Action: "X", Outcome: "maybe"})
	assert.ErrorContains(t, err, "outcome")
	size, err := j.Size(ctx)
	require.NoError(t, err)
	assert.Zero(t, size, "a refused batch writes nothing")
}

func TestAppend_DefaultsTimeToTheClockAndKeepsMicroseconds(t *testing.T) {
	db := sqltest.SQLite(t)
	now := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.FixedZone("MSK", 3*3600))
	j := open(t, db, newKey(t), journal.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	_, err := j.Append(ctx, journal.Entry{Action: "X", Outcome: journal.Done})
	require.NoError(t, err)
	e, err := j.Entry(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, now.Truncate(time.Microsecond).UTC(), e.At)
	assert.Nil(t, e.IPHash, "no IP, no hash")
}

func TestEntries_FiltersAndPagesBySeq(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{})
		_, err := j.Append(ctx, entries(0, 24)...)
		require.NoError(t, err)

		seqsOf := func(f journal.Filter) []uint64 {
			t.Helper()
			es, err := j.Entries(ctx, f)
			require.NoError(t, err)
			out := []uint64{}
			for _, e := range es {
				out = append(out, e.Seq)
			}
			return out
		}
		tests := []struct {
			name string
			f    journal.Filter
			want []uint64
		}{
			{"account", journal.Filter{AccountID: "acc-1"}, []uint64{1, 5, 9, 13, 17, 21}},
			{"actor and outcome", journal.Filter{ActorID: "actor-2", Outcome: journal.Denied}, []uint64{2, 5, 8, 11, 14, 17, 20, 23}},
			{"action", journal.Filter{Action: "GET cabinet", AccountID: "acc-3"}, []uint64{11, 23}},
			{"time window", journal.Filter{From: t0.Add(3 * time.Second), To: t0.Add(6 * time.Second)}, []uint64{3, 4, 5}},
			{"cursor and limit", journal.Filter{FromSeq: 20, Limit: 2}, []uint64{20, 21}},
			{"refused", journal.Filter{Outcome: journal.Refused, Limit: 3}, []uint64{1, 4, 7}},
		}
		for _, tt := range tests {
			assert.Equal(t, tt.want, seqsOf(tt.f), tt.name)
		}
	})
}

func TestAppend_ConcurrentWritersGetDistinctContiguousSeqs(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 7})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 5 {
					if _, err := j.Append(ctx, entries(w*10+i, 2)...); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		res, err := j.Verify(ctx)
		require.NoError(t, err)
		assert.True(t, res.OK, res.Reason)
		assert.Equal(t, uint64(80), res.Entries)
	})
}

func TestOpen_RefusesMismatchedKeysAndOrigin(t *testing.T) {
	db := sqltest.SQLite(t)
	a, b := newKey(t), newKey(t)
	ctx := context.Background()
	_, err := journal.Open(ctx, db, a.signer, b.verifier, journal.Options{})
	assert.ErrorContains(t, err, "not one key")
	_, err = journal.Open(ctx, db, a.signer, a.verifier, journal.Options{VerifierKey: b.vkey})
	assert.ErrorContains(t, err, "does not match")
	_, err = journal.Open(ctx, db, a.signer, a.verifier, journal.Options{Origin: "other.example/log"})
	assert.ErrorContains(t, err, "must equal the key name")
}

func osStat(path string) (os.FileInfo, error) { return os.Stat(path) }
