package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
)

func TestGroupCommit_QueuedAppendsCommitInOneTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook})
		plug := g.plug(t, s, "")
		var outs []<-chan outcome
		for i := range 10 {
			outs = append(outs, appendAsync(context.Background(), s, streamN(i), eventstore.NoStream, events(2)))
		}
		waitQueued(t, s, 10)
		g.open()
		require.NoError(t, <-plug)
		for _, o := range outs {
			require.NoError(t, await(t, o).err)
		}
		assert.Equal(t, int32(2), g.calls.Load(), "the plug's group, then one group for the ten")
		all := readAll(t, s)
		assert.Len(t, all, 21)
	})
}

func TestGroupCommit_MaxBatchBoundsAGroup(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook, MaxBatch: 4})
		plug := g.plug(t, s, "")
		var outs []<-chan outcome
		for i := range 10 {
			outs = append(outs, appendAsync(context.Background(), s, streamN(i), eventstore.NoStream, events(1)))
		}
		waitQueued(t, s, 4) // the queue holds MaxBatch; the rest wait to enter it
		g.open()
		require.NoError(t, <-plug)
		for _, o := range outs {
			require.NoError(t, await(t, o).err)
		}
		assert.GreaterOrEqual(t, g.calls.Load(), int32(1+3), "ten requests need at least three groups of four")
	})
}

func TestGroupCommit_AConflictFailsAloneAgainstEarlierAppendsOfTheGroup(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook})
		ctx := context.Background()
		plug := g.plug(t, s, "existing") // at version 0 once the gate opens

		first := appendAsync(ctx, s, "x", eventstore.NoStream, events(2))
		waitQueued(t, s, 1)
		second := appendAsync(ctx, s, "x", eventstore.NoStream, events(1)) // x exists by now, in this group
		waitQueued(t, s, 2)
		third := appendAsync(ctx, s, "x", eventstore.Exact(1), events(1)) // follows first, in this group
		waitQueued(t, s, 3)
		wrong := appendAsync(ctx, s, "existing", eventstore.Exact(3), events(1))
		waitQueued(t, s, 4)
		fine := appendAsync(ctx, s, "y", eventstore.Any, events(1))
		waitQueued(t, s, 5)
		g.open()
		require.NoError(t, <-plug)

		require.NoError(t, await(t, first).err)
		var ce *eventstore.ConflictError
		o := await(t, second)
		require.ErrorAs(t, o.err, &ce)
		assert.Equal(t, int64(1), ce.Actual, "second sees first's events although they are not committed yet")
		o = await(t, third)
		require.NoError(t, o.err)
		assert.Equal(t, int64(2), o.res.NextVersion)
		o = await(t, wrong)
		require.ErrorAs(t, o.err, &ce)
		assert.Equal(t, int64(0), ce.Actual)
		require.NoError(t, await(t, fine).err)
		assert.Equal(t, int32(2), g.calls.Load(), "all five were one group")

		x, err := s.ReadStream(ctx, "x", eventstore.Forward, 0, 0)
		require.NoError(t, err)
		assert.Len(t, x, 3)
		requireGapFree(t, readAll(t, s))
	})
}

func TestGroupCommit_AFailedCommitFailsEveryCallerAndWritesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		boom := errors.New("disk on fire")
		g := newGate()
		g.fail = func(n int32) error {
			if n == 2 {
				return boom
			}
			return nil
		}
		s := newStore(t, db, Options{BeforeCommit: g.hook})
		plug := g.plug(t, s, "")
		var outs []<-chan outcome
		for i := range 5 {
			outs = append(outs, appendAsync(context.Background(), s, streamN(i), eventstore.NoStream, events(1)))
		}
		// A request that conflicts in the failed group is told about the
		// failure, not about a conflict computed from rolled-back state.
		outs = append(outs, appendAsync(context.Background(), s, streamN(0), eventstore.NoStream, events(1)))
		waitQueued(t, s, 6)
		g.open()
		require.NoError(t, <-plug)
		for i, o := range outs {
			err := await(t, o).err
			assert.ErrorIs(t, err, boom, "caller %d", i)
		}
		assert.Len(t, readAll(t, s), 1, "only the plug")

		res, err := s.Append(context.Background(), streamN(0), eventstore.NoStream, events(1))
		require.NoError(t, err, "the writer goes on after a failed group")
		assert.Equal(t, uint64(2), res.FirstPosition, "the failed group used up no positions")
	})
}

func TestAppend_CancelledWhileQueuedIsWithdrawnAndWritesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook})
		plug := g.plug(t, s, "")
		ctx, cancel := context.WithCancel(context.Background())
		out := appendAsync(ctx, s, "withdrawn", eventstore.NoStream, events(1))
		waitQueued(t, s, 1)
		cancel()
		o := await(t, out) // returns while the writer is still held
		assert.ErrorIs(t, o.err, context.Canceled)
		g.open()
		require.NoError(t, <-plug)

		_, err := s.Append(context.Background(), "after", eventstore.NoStream, events(1))
		require.NoError(t, err)
		got, err := s.ReadStream(context.Background(), "withdrawn", eventstore.Forward, 0, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
		assert.Len(t, readAll(t, s), 2)
	})
}

func TestAppend_CancelledOnceInAGroupWaitsAndReportsTheCommit(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook})
		ctx, cancel := context.WithCancel(context.Background())
		out := appendAsync(ctx, s, "taken", eventstore.NoStream, events(1))
		<-g.entered // the request is in the group the gate holds
		cancel()
		select {
		case o := <-out:
			t.Fatalf("append returned %v before its group committed", o.err)
		case <-time.After(100 * time.Millisecond):
		}
		g.open()
		o := await(t, out)
		require.NoError(t, o.err, "its events were written, so the caller is told so")
		assert.Equal(t, uint64(1), o.res.LastPosition)
	})
}

func TestClose_CommitsQueuedAppendsThenRefusesNewOnes(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook})
		sub, err := s.Subscribe(context.Background(), 0)
		require.NoError(t, err)
		plug := g.plug(t, s, "")
		var outs []<-chan outcome
		for i := range 3 {
			outs = append(outs, appendAsync(context.Background(), s, streamN(i), eventstore.NoStream, events(1)))
		}
		waitQueued(t, s, 3)
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		require.Eventually(t, func() bool { s.mu.RLock(); defer s.mu.RUnlock(); return s.closed }, 5*time.Second, time.Millisecond)
		_, err = s.Append(context.Background(), "late", eventstore.NoStream, events(1))
		assert.ErrorIs(t, err, eventstore.ErrClosed)
		g.open()
		require.NoError(t, <-plug)
		for _, o := range outs {
			assert.NoError(t, await(t, o).err, "queued before Close: committed")
		}
		require.NoError(t, <-closed)
		for range sub.Events() {
		}
		assert.ErrorIs(t, sub.Err(), eventstore.ErrClosed)
		_, err = s.Subscribe(context.Background(), 0)
		assert.ErrorIs(t, err, eventstore.ErrClosed)
		_, err = s.ReadAll(context.Background(), 0, 10)
		assert.ErrorIs(t, err, eventstore.ErrClosed)
		assert.NoError(t, s.Close(), "closing twice is harmless")
	})
}

func streamN(i int) string { return "s-" + string(rune('a'+i)) }

func requireGapFree(t *testing.T, all []eventstore.RecordedEvent) {
	t.Helper()
	for i, e := range all {
		require.Equal(t, uint64(i+1), e.Position)
	}
}

// groupOfThree commits a group of three appends behind the gate's plug and
// returns once it has: the writer's last group then had three requests.
func groupOfThree(t *testing.T, s *Store, g *gate) {
	t.Helper()
	plug := g.plug(t, s, "")
	var outs []<-chan outcome
	for i := range 3 {
		outs = append(outs, appendAsync(context.Background(), s, streamN(i), eventstore.NoStream, events(1)))
	}
	waitQueued(t, s, 3)
	g.open()
	require.NoError(t, <-plug)
	for _, o := range outs {
		require.NoError(t, await(t, o).err)
	}
	require.Equal(t, int32(2), g.calls.Load(), "the plug's group, then the three")
}

func TestGroupCommit_AfterAGroupOfSeveralTheNextWaitsForAsMany(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		// A wait of a thousand commits: the next group is cut when three
		// are queued, whenever they come.
		s := newStore(t, db, Options{BeforeCommit: g.hook, GroupWait: 1000})
		groupOfThree(t, s, g)
		first := appendAsync(context.Background(), s, streamN(3), eventstore.NoStream, events(1))
		time.Sleep(50 * time.Millisecond) // long enough for a lone group to have committed
		rest := []<-chan outcome{
			appendAsync(context.Background(), s, streamN(4), eventstore.NoStream, events(1)),
			appendAsync(context.Background(), s, streamN(5), eventstore.NoStream, events(1)),
		}
		for _, o := range append(rest, first) {
			require.NoError(t, await(t, o).err)
		}
		assert.Equal(t, int32(3), g.calls.Load(), "the three late appends committed as one group")
		requireGapFree(t, readAll(t, s))
	})
}

func TestGroupCommit_TheWaitForTheNextGroupIsBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook}) // the default: a quarter of a commit
		groupOfThree(t, s, g)
		lone := appendAsync(context.Background(), s, streamN(3), eventstore.NoStream, events(1))
		require.NoError(t, await(t, lone).err, "an append with nobody to join it still commits")
		assert.Equal(t, int32(3), g.calls.Load())
	})
}

func TestClose_EndsTheWaitForTheNextGroup(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook, GroupWait: 1e9})
		groupOfThree(t, s, g)
		lone := appendAsync(context.Background(), s, streamN(3), eventstore.NoStream, events(1))
		time.Sleep(20 * time.Millisecond) // the writer takes it and waits for two more
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Close waited for the group to fill")
		}
		want := 5
		if err := await(t, lone).err; err != nil {
			require.ErrorIs(t, err, eventstore.ErrClosed, "only an append not yet taken is refused")
			want = 4
		}
		assert.Len(t, readAll(t, newStore(t, db, Options{})), want)
	})
}
