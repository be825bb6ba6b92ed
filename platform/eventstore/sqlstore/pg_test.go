package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// openPG opens n stores on one fresh PostgreSQL schema, each with its own
// connection pool, as n processes would.
func openPG(t *testing.T, opts ...Options) []*Store {
	t.Helper()
	dsn := sqltest.PGDSN(t)
	stores := make([]*Store, len(opts))
	for i, o := range opts {
		db, err := sqldb.Open(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		stores[i] = newStore(t, db, o)
	}
	return stores
}

// reader follows a subscription into a slice.
type reader struct {
	mu  sync.Mutex
	got []eventstore.RecordedEvent
}

func follow(t *testing.T, s *Store) *reader {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	r := &reader{}
	go func() {
		for e := range sub.Events() {
			r.mu.Lock()
			r.got = append(r.got, e)
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *reader) snapshot() []eventstore.RecordedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), r.got...)
}

// The sequence-gap trap: if B could commit position n+1 while A's position n
// is still in flight, a reader at the tail would take n+1, move its
// checkpoint past n, and never see A's event. The head row lock makes B wait
// for A, so positions follow commit order.
func TestPG_PositionsFollowCommitOrderAcrossProcesses(t *testing.T) {
	g := newGate()
	stores := openPG(t,
		Options{BeforeCommit: g.hook}, // A: its first group is held open
		Options{},                     // B: a second process
		Options{PollInterval: 5 * time.Millisecond}, // C: reads all the time
	)
	a, b, c := stores[0], stores[1], stores[2]
	ctx := context.Background()
	_, err := b.Append(ctx, "before", eventstore.NoStream, events(3))
	require.NoError(t, err)
	readers := []*reader{follow(t, b), follow(t, c)} // b's wakes at b's own commits
	for i, r := range readers {
		require.Eventually(t, func() bool { return len(r.snapshot()) == 3 }, 10*time.Second, time.Millisecond, "reader %d", i)
	}

	aEvents, bEvents := events(2), events(2)
	aDone := appendAsync(ctx, a, "from-a", eventstore.NoStream, aEvents)
	select {
	case <-g.entered: // A holds the head row, its rows written, not committed
	case <-time.After(10 * time.Second):
		t.Fatal("A never reached its commit")
	}
	bDone := appendAsync(ctx, b, "from-b", eventstore.NoStream, bEvents)
	select {
	case o := <-bDone:
		t.Fatalf("B committed (%v, %v) while A held the head", o.res, o.err)
	case <-time.After(300 * time.Millisecond):
	}
	for i, r := range readers {
		assert.Len(t, r.snapshot(), 3, "reader %d sees nothing past the first commit yet", i)
	}
	g.open()
	oa, ob := await(t, aDone), await(t, bDone)
	require.NoError(t, oa.err)
	require.NoError(t, ob.err)
	assert.Equal(t, uint64(4), oa.res.FirstPosition, "A took its positions first")
	assert.Equal(t, uint64(6), ob.res.FirstPosition)

	want := append(idsOf(aEvents), idsOf(bEvents)...)
	for i, r := range readers {
		require.Eventually(t, func() bool { return len(r.snapshot()) >= 7 }, 10*time.Second, 5*time.Millisecond, "reader %d", i)
		time.Sleep(50 * time.Millisecond) // room for a duplicate to show up
		got := r.snapshot()
		require.Len(t, got, 7, "reader %d: every event exactly once", i)
		requireGapFree(t, got)
		var gotIDs []uuid.UUID
		for _, e := range got[3:] {
			gotIDs = append(gotIDs, e.ID)
		}
		assert.Equal(t, want, gotIDs, "reader %d", i)
	}
}

func TestPG_SubscriberWakesOnAnotherProcessCommit(t *testing.T) {
	stores := openPG(t, Options{}, Options{PollInterval: time.Hour})
	writer, watcher := stores[0], stores[1]
	sub, err := watcher.Subscribe(context.Background(), 0)
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // the watcher is idle and LISTENing
	_, err = writer.Append(context.Background(), "a", eventstore.NoStream, events(1))
	require.NoError(t, err)
	select {
	case e := <-sub.Events():
		assert.Equal(t, uint64(1), e.Position)
	case <-time.After(5 * time.Second):
		t.Fatal("no NOTIFY reached the other process's subscription")
	}
}

func TestPG_TwoProcessesAtOneVersionExactlyOneWins(t *testing.T) {
	stores := openPG(t, Options{}, Options{})
	ctx := context.Background()
	for round := range 20 {
		st := uuid.NewString()
		_, err := stores[0].Append(ctx, st, eventstore.NoStream, events(1))
		require.NoError(t, err)
		x := appendAsync(ctx, stores[0], st, eventstore.Exact(0), events(1))
		y := appendAsync(ctx, stores[1], st, eventstore.Exact(0), events(1))
		ox, oy := await(t, x), await(t, y)
		if ox.err == nil {
			assert.ErrorIs(t, oy.err, eventstore.ErrConflict, "round %d", round)
		} else {
			assert.ErrorIs(t, ox.err, eventstore.ErrConflict, "round %d", round)
			assert.NoError(t, oy.err, "round %d", round)
		}
	}
	requireGapFree(t, readAll(t, stores[1]))
}

func idsOf(evs []eventstore.EventData) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestPG_ListenerReconnectsAndCatchesUpAfterLosingItsConnection(t *testing.T) {
	stores := openPG(t, Options{}, Options{PollInterval: time.Hour})
	writer, watcher := stores[0], stores[1]
	ctx := context.Background()
	sub, err := watcher.Subscribe(ctx, 0)
	require.NoError(t, err)
	listen := `LISTEN "` + watcher.opts.NotifyChannel + `"`
	var pid int
	require.Eventually(t, func() bool {
		return watcher.sql.QueryRowContext(ctx,
			`SELECT pid FROM pg_stat_activity WHERE query = $1`, listen).Scan(&pid) == nil
	}, 5*time.Second, 10*time.Millisecond, "the watcher never listened")
	_, err = watcher.sql.ExecContext(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid)
	require.NoError(t, err)
	_, err = writer.Append(ctx, "a", eventstore.NoStream, events(1)) // its NOTIFY may find nobody
	require.NoError(t, err)
	select {
	case e := <-sub.Events():
		assert.Equal(t, uint64(1), e.Position)
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher did not come back after losing its LISTEN connection")
	}
}
