package sqldb

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMayWrite_ClassifiesStatements(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                             false,
		"  select * from t":                    false,
		"(SELECT 1) UNION (SELECT 2)":          false,
		"VALUES (1)":                           false,
		"EXPLAIN QUERY PLAN SELECT 1":          false,
		"WITH x AS (SELECT 1) SELECT * FROM x": false,
		"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x": true,
		"INSERT INTO t VALUES (1)":                           true,
		"update t set a = 1":                                 true,
		"DELETE FROM t":                                      true,
		"REPLACE INTO t VALUES (1)":                          true,
		"PRAGMA wal_checkpoint(TRUNCATE)":                    true,
		"CREATE TABLE t (a)":                                 true,
	} {
		require.Equal(t, want, mayWrite(q), q)
	}
}

// held reports whether the file's gate is taken.
func held(g *writeGate) bool { return len(g.slot) == 1 }

func TestGate_TransactionsAndWritesHoldItReadsDoNot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gate.db")
	a, err := OpenSQLite(ctx, path, true)
	require.NoError(t, err)
	defer a.Close()
	b, err := OpenSQLite(ctx, path, false) // a second pool on the same file shares the gate
	require.NoError(t, err)
	defer b.Close()
	g := gateFor(path, busyTimeout)
	_, err = a.ExecContext(ctx, "CREATE TABLE t (n INTEGER)")
	require.NoError(t, err)
	require.False(t, held(g), "an autocommit write leaves the gate when it ends")

	tx, err := a.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.True(t, held(g), "a transaction holds the gate from BEGIN")
	_, err = tx.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	require.NoError(t, err, "a statement inside the transaction does not wait for its own gate")

	var n int
	require.NoError(t, b.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n), "a read does not wait for the gate")
	require.Equal(t, 0, n)

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = b.ExecContext(short, "INSERT INTO t VALUES (2)")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a writer of the other pool waits at the gate until its context ends")

	done := make(chan error)
	go func() {
		_, err := b.ExecContext(ctx, "INSERT INTO t VALUES (3)")
		done <- err
	}()
	require.NoError(t, tx.Commit())
	require.NoError(t, <-done, "the waiting writer enters once the transaction commits")
	require.False(t, held(g))

	tx, err = b.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback())
	require.False(t, held(g), "a rollback leaves the gate")

	rows, err := a.QueryContext(ctx, "INSERT INTO t VALUES (4) RETURNING n")
	require.NoError(t, err)
	require.True(t, held(g), "a writing query holds the gate until its rows close")
	require.NoError(t, rows.Close())
	require.False(t, held(g))

	require.NoError(t, a.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n))
	require.Equal(t, 3, n)
}

func TestGate_TimesOutAsUnavailable(t *testing.T) {
	g := &writeGate{slot: make(chan struct{}, 1), wait: 10 * time.Millisecond}
	require.NoError(t, g.enter(context.Background()))
	err := g.enter(context.Background())
	require.True(t, errors.Is(err, ErrWriteBusy) && IsUnavailable(err), "got %v", err)
	g.leave()
}

func TestGate_ConcurrentWritersAcrossPoolsAllCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "many.db")
	a, err := OpenSQLite(ctx, path, true)
	require.NoError(t, err)
	defer a.Close()
	b, err := OpenSQLite(ctx, path, false)
	require.NoError(t, err)
	defer b.Close()
	_, err = a.ExecContext(ctx, "CREATE TABLE t (n INTEGER)")
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 16*20)
	for w := range 16 {
		db := a
		if w%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					errs <- err
					return
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (?)", w*100+i); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				if err := tx.Commit(); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var n int
	require.NoError(t, a.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n))
	require.Equal(t, 320, n)
	require.False(t, held(gateFor(path, busyTimeout)))
}
