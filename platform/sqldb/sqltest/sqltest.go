// Package sqltest gives tests real databases: a fresh SQLite file or a fresh
// PostgreSQL schema, removed when the test ends.
package sqltest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// DefaultPG is the PostgreSQL DSN used when KABINET_TEST_PG is not set.
const DefaultPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SQLite opens a fresh SQLite database in the test's temp dir.
func SQLite(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "test.db"), true)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// PGDSN returns a DSN for a fresh, empty PostgreSQL schema that is dropped
// when the test ends. When PostgreSQL is unreachable the test is skipped
// loudly, or fails if KABINET_REQUIRE_PG=1.
func PGDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("KABINET_TEST_PG")
	if base == "" {
		base = DefaultPG
	}
	ctx := context.Background()
	admin, err := sqldb.Open(ctx, base)
	if err != nil {
		if os.Getenv("KABINET_REQUIRE_PG") == "1" {
			t.Fatalf("PostgreSQL required (KABINET_REQUIRE_PG=1) but unreachable at %s: %v", base, err)
		}
		t.Skipf("!!! SKIPPING: PostgreSQL unreachable at %s (%v); set KABINET_TEST_PG or start it", base, err)
	}
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	_, err = admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PG opens a fresh PostgreSQL schema (see PGDSN).
func PG(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), PGDSN(t))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs f once per SQL backend, as subtests "sqlite" and "postgres".
func Each(t *testing.T, f func(t *testing.T, db *sqldb.DB)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, PG(t)) })
}

// Name describes db for test messages.
func Name(db *sqldb.DB) string { return string(db.Kind) }

// HoldWriter holds the writer of db's SQLite file with a transaction on a
// pool of its own, as another writer busy on the file would; writes through
// db wait until release ends it.
func HoldWriter(t testing.TB, db *sqldb.DB) (release func()) {
	t.Helper()
	other, err := sqldb.OpenSQLite(context.Background(), db.DSN, true)
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	hold, err := other.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	return func() { require.NoError(t, hold.Rollback()) }
}
