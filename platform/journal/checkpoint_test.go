package journal_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func checkpointSizes(t *testing.T, j *journal.Journal) []uint64 {
	t.Helper()
	cps, err := j.Checkpoints(context.Background(), 0, 0)
	require.NoError(t, err)
	out := []uint64{}
	for _, c := range cps {
		out = append(out, c.Size)
	}
	return out
}

func TestCheckpoint_IssuedEveryNEntriesAndAllKept(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 5})
		_, err := j.LatestCheckpoint(ctx)
		assert.ErrorIs(t, err, journal.ErrNoCheckpoint)
		for i := range 12 {
			_, err := j.Append(ctx, entry(i))
			require.NoError(t, err)
		}
		assert.Equal(t, []uint64{5, 10}, checkpointSizes(t, j))
		_, err = j.Append(ctx, entries(12, 7)...) // 19: 9 since the last
		require.NoError(t, err)
		assert.Equal(t, []uint64{5, 10, 19}, checkpointSizes(t, j))

		latest, err := j.LatestCheckpoint(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(19), latest.Size)
		at10, err := j.CheckpointAt(ctx, 10)
		require.NoError(t, err)
		root10, err := j.RootHash(ctx, 10)
		require.NoError(t, err)
		assert.Equal(t, root10, at10.RootHash)
		assert.Contains(t, string(at10.Note), journal.DefaultOrigin+"\n10\n")
		_, err = j.CheckpointAt(ctx, 11)
		assert.ErrorIs(t, err, journal.ErrNotFound)
	})
}

func TestCheckpoint_OnDemandCoversTheTreeOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{})
		empty, err := j.Checkpoint(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(0), empty.Size, "an empty journal checkpoints the empty tree")
		_, err = j.Append(ctx, entries(0, 3)...)
		require.NoError(t, err)
		c1, err := j.Checkpoint(ctx)
		require.NoError(t, err)
		c2, err := j.Checkpoint(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), c1.Size)
		assert.Equal(t, c1, c2, "no new entries, no new checkpoint")
		assert.Equal(t, []uint64{0, 3}, checkpointSizes(t, j))
	})
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time         { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)    { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }
func newClock(t time.Time) *clock       { return &clock{now: t} }
func (c *clock) opts() func() time.Time { return c.Now }

func TestCheckpointIfDue_IssuesAfterTheIntervalOnlyWithNewEntries(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		clk := newClock(t0)
		j := open(t, db, newKey(t), journal.Options{CheckpointInterval: 2 * time.Second, Now: clk.opts()})
		issued, err := j.CheckpointIfDue(ctx)
		require.NoError(t, err)
		assert.False(t, issued, "nothing to checkpoint")

		_, err = j.Append(ctx, entry(0))
		require.NoError(t, err)
		issued, err = j.CheckpointIfDue(ctx)
		require.NoError(t, err)
		assert.True(t, issued, "the first entries are checkpointed at once")

		_, err = j.Append(ctx, entry(1))
		require.NoError(t, err)
		clk.Add(1 * time.Second)
		issued, err = j.CheckpointIfDue(ctx)
		require.NoError(t, err)
		assert.False(t, issued, "interval not yet passed")

		clk.Add(1 * time.Second)
		issued, err = j.CheckpointIfDue(ctx)
		require.NoError(t, err)
		assert.True(t, issued)

		clk.Add(10 * time.Second)
		issued, err = j.CheckpointIfDue(ctx)
		require.NoError(t, err)
		assert.False(t, issued, "no new entries since the last checkpoint")
		assert.Equal(t, []uint64{1, 2}, checkpointSizes(t, j))
	})
}

func TestRun_IssuesCheckpointsByTime(t *testing.T) {
	db := sqltest.SQLite(t)
	j := open(t, db, newKey(t), journal.Options{CheckpointInterval: 40 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx) }()
	_, err := j.Append(context.Background(), entries(0, 3)...)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		c, err := j.LatestCheckpoint(context.Background())
		return err == nil && c.Size == 3
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

func TestAppendTx_CommitsWithTheCallersWrites(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 2})
		_, err := db.ExecContext(ctx, `CREATE TABLE writer_checkpoint (id INTEGER PRIMARY KEY, position BIGINT NOT NULL)`)
		require.NoError(t, err)
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := j.AppendTx(ctx, tx, entries(0, 3)...); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO writer_checkpoint VALUES (1, 42)`)
			return err
		})
		require.NoError(t, err)
		size, err := j.Size(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), size)
		assert.Equal(t, []uint64{3}, checkpointSizes(t, j))
	})
}

func TestAppendTx_RollbackLeavesTheJournalAsBefore(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 2})
		_, err := j.Append(ctx, entry(0))
		require.NoError(t, err)
		callerFailed := errors.New("caller's own write failed")
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			seqs, err := j.AppendTx(ctx, tx, entries(1, 4)...) // would checkpoint at 5
			require.NoError(t, err)
			assert.Equal(t, []uint64{1, 2, 3, 4}, seqs)
			return callerFailed
		})
		require.ErrorIs(t, err, callerFailed)

		size, err := j.Size(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(1), size, "the rolled-back entries are gone")
		assert.Empty(t, checkpointSizes(t, j), "and so is the checkpoint they triggered")

		seqs, err := j.Append(ctx, entries(10, 2)...)
		require.NoError(t, err)
		assert.Equal(t, []uint64{1, 2}, seqs, "the next append continues from the committed tree")
		res, err := j.Verify(ctx)
		require.NoError(t, err)
		assert.True(t, res.OK, res.Reason)
		assert.Equal(t, []uint64{3}, checkpointSizes(t, j))
	})
}

func TestAppendTx_RefusesADatabaseForATransaction(t *testing.T) {
	db := sqltest.SQLite(t)
	j := open(t, db, newKey(t), journal.Options{})
	_, err := j.AppendTx(context.Background(), db, entry(0))
	assert.ErrorContains(t, err, "needs a transaction")
	_, err = j.AppendTx(context.Background(), db.DB, entry(0))
	assert.ErrorContains(t, err, "needs a transaction")
}

func TestLoadOrCreateKey_CreatesAPrivateFileOnceAndReloadsIt(t *testing.T) {
	dir := t.TempDir()
	s1, v1, vkey1, err := journal.LoadOrCreateKey(dir)
	require.NoError(t, err)
	s2, _, vkey2, err := journal.LoadOrCreateKey(dir)
	require.NoError(t, err)
	assert.Equal(t, vkey1, vkey2)
	assert.Equal(t, s1.KeyHash(), s2.KeyHash())
	assert.Equal(t, journal.DefaultOrigin, v1.Name())
	info, err := osStat(dir + "/" + journal.KeyFile)
	require.NoError(t, err)
	assert.Equal(t, "-rw-------", info.Mode().String())
	_, _, _, err = journal.ParseKey("PRIVATE+KEY+bad")
	assert.Error(t, err)
	_, _, _, err = journal.ParseKey(fmt.Sprintf("%s+00000000+AQ==", "PRIVATE+KEY+x"))
	assert.Error(t, err)
}
