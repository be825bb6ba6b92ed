package sqldb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// groupRig is a SQLite file with a table of unique numbers, and a pool whose
// RunGrouped calls queue behind a transaction the test holds on the file.
type groupRig struct {
	db, other *DB
	hold      *bun.Tx
}

func newGroupRig(t *testing.T) *groupRig {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "group.db")
	db, err := OpenSQLite(ctx, path, true)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	other, err := OpenSQLite(ctx, path, true)
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	_, err = db.ExecContext(ctx, "CREATE TABLE t (n INTEGER PRIMARY KEY)")
	require.NoError(t, err)
	return &groupRig{db: db, other: other}
}

// block holds the file's writer with a transaction of the other pool.
func (r *groupRig) block(t *testing.T) {
	tx, err := r.other.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	r.hold = &tx
}

func (r *groupRig) release(t *testing.T) { require.NoError(t, r.hold.Rollback()) }

// queued is how many calls wait for the next group.
func (r *groupRig) queued() int {
	r.db.group.mu.Lock()
	defer r.db.group.mu.Unlock()
	return len(r.db.group.queue)
}

// taken reports whether the calls made so far were all taken into a group.
func (r *groupRig) taken() bool {
	r.db.group.mu.Lock()
	defer r.db.group.mu.Unlock()
	return len(r.db.group.queue) == 0 && r.db.group.running
}

// start runs n RunGrouped calls while the file is held, so that the first
// waits at the writer alone and the others queue for one group behind it;
// fn(i) is call i's work, and around, if given, runs each call. It returns
// each call's error once all returned.
func (r *groupRig) start(t *testing.T, n int, fn func(i int) TxFunc, around ...func(i int, call func())) []error {
	t.Helper()
	r.block(t)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		call := func() { errs[i] = r.db.RunGrouped(context.Background(), fn(i)) }
		if len(around) > 0 {
			wg.Go(func() { around[0](i, call) })
		} else {
			wg.Go(call)
		}
		if i == 0 {
			require.Eventually(t, r.taken,
				5*time.Second, time.Millisecond, "the first call is taken into a group of its own")
		}
	}
	require.Eventually(t, func() bool { return r.queued() == n-1 }, 5*time.Second, time.Millisecond)
	r.release(t)
	wg.Wait()
	return errs
}

func (r *groupRig) count(t *testing.T) int {
	var n int
	require.NoError(t, r.db.QueryRowContext(context.Background(), "SELECT count(*) FROM t").Scan(&n))
	return n
}

func insert(n int) TxFunc {
	return func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (?)", n)
		return err
	}
}

func TestRunGrouped_CallsQueuedTogetherCommitInOneTransaction(t *testing.T) {
	r := newGroupRig(t)
	errs := r.start(t, 6, func(i int) TxFunc { return insert(i) })
	for i, err := range errs {
		require.NoError(t, err, "call %d", i)
	}
	require.Equal(t, 6, r.count(t))
	require.EqualValues(t, 1, r.db.Groups(), "the five queued behind the first committed as one group")
}

func TestRunGrouped_AFailingCallFailsAloneAndNothingOfItCommits(t *testing.T) {
	r := newGroupRig(t)
	var runs [5]atomic.Int32
	bad := errors.New("this batch cannot be applied")
	errs := r.start(t, 5, func(i int) TxFunc {
		return func(ctx context.Context, tx bun.Tx) error {
			runs[i].Add(1)
			if err := insert(100+i)(ctx, tx); err != nil {
				return err
			}
			if i == 3 {
				return bad // after it wrote: the row must not stay
			}
			return nil
		}
	})
	for i, err := range errs {
		if i == 3 {
			require.ErrorIs(t, err, bad)
		} else {
			require.NoError(t, err, "call %d", i)
		}
	}
	require.Equal(t, 4, r.count(t), "each call but the failing one committed once")
	var n int
	require.NoError(t, r.db.QueryRowContext(context.Background(), "SELECT count(*) FROM t WHERE n = 103").Scan(&n))
	require.Zero(t, n, "the failing call's write was rolled back")
	require.EqualValues(t, 0, r.db.Groups(), "the group did not commit")
	require.EqualValues(t, 1, runs[0].Load(), "the first call was a group of its own")
	require.EqualValues(t, 2, runs[3].Load(), "the failing call ran in the group, then alone")
	for i := 1; i < 5; i++ {
		// The group stops at the failing call: those queued before it ran
		// in the group and again alone, those after it only alone.
		require.Contains(t, []int32{1, 2}, runs[i].Load(), "call %d", i)
	}
}

func TestRunGrouped_AGroupThatCannotBeginFailsEveryCallWithoutRunningIt(t *testing.T) {
	r := newGroupRig(t)
	// A pool on the same file whose writes wait only 300 ms at its gate.
	abs, err := filepath.Abs(r.db.DSN)
	require.NoError(t, err)
	gate := gateFor(abs, busyTimeout)
	gates.Store(abs, &writeGate{slot: gate.slot, wait: 300 * time.Millisecond})
	db, err := OpenSQLite(context.Background(), abs, true)
	gates.Store(abs, gate)
	require.NoError(t, err)
	defer db.Close()
	r.db = db

	r.block(t)
	defer r.release(t)
	var runs atomic.Int32
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			errs[i] = db.RunGrouped(context.Background(), func(ctx context.Context, tx bun.Tx) error {
				runs.Add(1)
				return insert(i)(ctx, tx)
			})
		})
		if i == 0 {
			require.Eventually(t, r.taken, 5*time.Second, time.Millisecond)
		}
	}
	wg.Wait()
	for i, err := range errs {
		require.True(t, IsUnavailable(err), "call %d: %v", i, err)
	}
	grouped := false
	for _, err := range errs[1:] {
		grouped = grouped || strings.Contains(err.Error(), "group of 3")
	}
	require.True(t, grouped, "the three queued behind the first were one group, told at once: %v", errs)
	require.Zero(t, runs.Load(), "no work ran: the file's writer never came free")
}

func TestRunGrouped_ACancelledCallerDoesNotUndoTheOthers(t *testing.T) {
	r := newGroupRig(t)
	r.block(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range 4 {
		c := context.Background()
		if i == 2 {
			c = ctx
		}
		wg.Go(func() {
			errs[i] = r.db.RunGrouped(c, func(ctx context.Context, tx bun.Tx) error {
				if err := insert(i)(ctx, tx); err != nil {
					return err
				}
				if i == 2 {
					cancel() // its caller gives up while its group runs
				}
				return insert(10+i)(ctx, tx)
			})
		})
		if i == 0 {
			require.Eventually(t, r.taken, 5*time.Second, time.Millisecond)
		}
	}
	require.Eventually(t, func() bool { return r.queued() == 3 }, 5*time.Second, time.Millisecond)
	r.release(t)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "call %d: a group, once begun, is not interrupted by one caller", i)
	}
	require.Equal(t, 8, r.count(t))
}

func TestRunGrouped_ACallerAlreadyCancelledWritesNothing(t *testing.T) {
	r := newGroupRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.db.RunGrouped(ctx, insert(1))
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, r.count(t))
}

func TestRunGrouped_ManyConcurrentCallersAllCommit(t *testing.T) {
	r := newGroupRig(t)
	var wg sync.WaitGroup
	errs := make(chan error, 32*20)
	for w := range 32 {
		wg.Go(func() {
			for i := range 20 {
				if err := r.db.RunGrouped(context.Background(), insert(w*100+i)); err != nil {
					errs <- fmt.Errorf("writer %d, %d: %w", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 32*20, r.count(t))
}

func TestRunGrouped_APanicReachesItsCallerAloneAndTheGroupGoesOn(t *testing.T) {
	r := newGroupRig(t)
	var panicked []any
	var mu sync.Mutex
	errs := r.start(t, 4, func(i int) TxFunc {
		return func(ctx context.Context, tx bun.Tx) error {
			if err := insert(i)(ctx, tx); err != nil {
				return err
			}
			if i == 2 {
				panic("projector bug")
			}
			return nil
		}
	}, func(i int, call func()) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				panicked = append(panicked, p)
				mu.Unlock()
			}
		}()
		call()
	})
	require.Equal(t, []any{"projector bug"}, panicked, "the panic came back in its caller's goroutine, once")
	for i, err := range errs {
		if i != 2 {
			require.NoError(t, err, "call %d", i)
		}
	}
	require.Equal(t, 3, r.count(t), "the others committed; the panicking call's row did not")
	require.NoError(t, r.db.RunGrouped(context.Background(), insert(9)), "the queue still serves")
}
