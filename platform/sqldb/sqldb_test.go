package sqldb_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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
