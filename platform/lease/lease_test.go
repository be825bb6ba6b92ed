package lease_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/lease"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// TestRun_OneHolderAtATimeWithFailover runs three contenders for one lease on
// PostgreSQL: only one works at a time, and when its connection dies another
// takes over.
func TestRun_OneHolderAtATimeWithFailover(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	name := "test-" + t.Name()
	var holders, maxHolders, turns atomic.Int32
	dbs := make([]*sqldb.DB, 3)
	var wg sync.WaitGroup
	for i := range dbs {
		db, err := sqldb.Open(ctx, dsn)
		require.NoError(t, err)
		defer db.Close()
		dbs[i] = db
		wg.Add(1)
		go func() {
			defer wg.Done()
			lease.Run(ctx, db, name, lease.Options{Retry: 20 * time.Millisecond, Check: 20 * time.Millisecond}, func(ctx context.Context) error {
				n := holders.Add(1)
				for {
					m := maxHolders.Load()
					if n <= m || maxHolders.CompareAndSwap(m, n) {
						break
					}
				}
				turns.Add(1)
				<-ctx.Done()
				holders.Add(-1)
				return nil
			})
		}()
	}
	require.Eventually(t, func() bool { return turns.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	// Kill every session holding the lock, as if its process died.
	admin := sqltest.PG(t)
	_, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = ?`, lease.Key(name))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return turns.Load() >= 2 }, 10*time.Second, 10*time.Millisecond, "another instance took over")
	cancel()
	wg.Wait()
	assert.EqualValues(t, 1, maxHolders.Load(), "never two holders at once")
}

func TestRun_SQLiteRunsAtOnce(t *testing.T) {
	db := sqltest.SQLite(t)
	ran := false
	require.NoError(t, lease.Run(context.Background(), db, "x", lease.Options{}, func(context.Context) error { ran = true; return nil }))
	assert.True(t, ran)
}

func TestTry_RefusesWhileAnotherHoldsTheLease(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *sqldb.DB{"sqlite": sqltest.SQLite, "postgres": sqltest.PG} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			running := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				// A Check long enough that a slow ping under load never
				// passes for a lost lease.
				done <- lease.Run(ctx, db, "projections", lease.Options{Retry: 10 * time.Millisecond, Check: 200 * time.Millisecond},
					func(ctx context.Context) error { close(running); <-ctx.Done(); return nil })
			}()
			<-running
			_, err := lease.Try(ctx, db, "projections")
			require.ErrorIs(t, err, lease.ErrHeld)
			cancel()
			require.NoError(t, <-done)
			release, err := lease.Try(context.Background(), db, "projections")
			require.NoError(t, err, "free once the holder stopped")
			release()
		})
	}
}

// TestRun_FailedWorkIsTriedAgainUntilItRuns is a store that went away and
// came back: the work fails twice, then runs, without Run giving up.
func TestRun_FailedWorkIsTriedAgainUntilItRuns(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var tries atomic.Int32
		running := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- lease.Run(ctx, db, "test-"+t.Name(), lease.Options{Retry: 10 * time.Millisecond, Check: 10 * time.Millisecond},
				func(ctx context.Context) error {
					if tries.Add(1) <= 2 {
						return errors.New("store went away")
					}
					close(running)
					<-ctx.Done()
					return ctx.Err()
				})
		}()
		select {
		case <-running:
		case err := <-done:
			t.Fatalf("Run returned %v after %d tries instead of trying again", err, tries.Load())
		case <-time.After(30 * time.Second):
			t.Fatal("the work never ran again")
		}
		assert.EqualValues(t, 3, tries.Load())
		cancel()
		assert.NoError(t, <-done)
	})
}
