package sqldb_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestOpen_BothBackendsAnswerQueries(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		var n int
		require.NoError(t, db.NewRaw("SELECT 1").Scan(context.Background(), &n))
		require.Equal(t, 1, n)
	})
}

func TestRunGrouped_BothBackendsCommitConcurrentCalls(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		_, err := db.ExecContext(ctx, "CREATE TABLE grouped (n INTEGER PRIMARY KEY)")
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range 16 {
			wg.Go(func() {
				errs[i] = db.RunGrouped(ctx, func(ctx context.Context, tx bun.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO grouped VALUES (?)", i)
					return err
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "call %d", i)
		}
		var n int
		require.NoError(t, db.NewRaw("SELECT count(*) FROM grouped").Scan(ctx, &n))
		require.Equal(t, 16, n)
		if db.IsPostgres() {
			require.Zero(t, db.Groups(), "PostgreSQL has writers in parallel: each call is its own transaction")
		}
	})
}

func TestOpenSQLite_IsWALAndDurable(t *testing.T) {
	db := sqltest.SQLite(t)
	var mode string
	require.NoError(t, db.NewRaw("PRAGMA journal_mode").Scan(context.Background(), &mode))
	require.Equal(t, "wal", mode)
	var sync int
	require.NoError(t, db.NewRaw("PRAGMA synchronous").Scan(context.Background(), &sync))
	require.Equal(t, 2, sync, "synchronous=FULL")
}

func TestOpenSQLite_SecureDeleteAndShredLeaveNoDeletedBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "shred.db")
	db, err := sqldb.OpenSQLite(ctx, path, true)
	require.NoError(t, err)
	defer db.Close()
	var on int
	require.NoError(t, db.NewRaw("PRAGMA secure_delete").Scan(ctx, &on))
	require.Equal(t, 1, on, "secure_delete is on")
	_, err = db.ExecContext(ctx, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
	require.NoError(t, err)
	const marker = "Zhukovskaya-Marker-Name"
	for i := 0; i < 50; i++ {
		_, err = db.ExecContext(ctx, "INSERT INTO people (name) VALUES (?)", marker+strings.Repeat("x", i))
		require.NoError(t, err)
	}
	require.NoError(t, db.Shred(ctx)) // the rows reach the main file
	_, err = db.ExecContext(ctx, "DELETE FROM people")
	require.NoError(t, err)
	require.NoError(t, db.Shred(ctx))
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		require.False(t, bytes.Contains(b, []byte(marker)), "%s still holds a deleted row", filepath.Base(f))
	}
}

func TestShred_PostgresVacuumsTheTables(t *testing.T) {
	db := sqltest.PG(t)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, "CREATE TABLE people (id INT PRIMARY KEY, name TEXT)")
	require.NoError(t, err)
	require.NoError(t, db.Shred(ctx, "people"))
	require.Error(t, db.Shred(ctx, "no_such_table"), "a table that is not there is an error, not silence")
}
