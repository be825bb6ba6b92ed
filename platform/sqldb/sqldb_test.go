package sqldb_test

import (
	"context"
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
