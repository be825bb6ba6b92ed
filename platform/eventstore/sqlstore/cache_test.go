package sqlstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// twoProcesses opens two stores on one database, each with its own
// connections and its own cache of stream versions.
func twoProcesses(t *testing.T, kind string) (*Store, *Store) {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "events.db")
	if kind == "postgres" {
		dsn = sqltest.PGDSN(t)
	}
	open := func() *Store {
		db, err := sqldb.Open(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		return newStore(t, db, Options{})
	}
	return open(), open()
}

func TestVersionCache_AnotherWritersAppendsNeverCauseAWrongAnswer(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			a, b := twoProcesses(t, kind)
			ctx := context.Background()
			app := func(s *Store, exp eventstore.ExpectedVersion, evs []eventstore.EventData) (eventstore.AppendResult, error) {
				return s.Append(ctx, "acc", exp, evs)
			}
			_, err := app(a, eventstore.NoStream, events(1)) // a caches version 0
			require.NoError(t, err)
			_, err = app(b, eventstore.Exact(0), events(1)) // now 1; a does not know
			require.NoError(t, err)

			res, err := app(a, eventstore.Exact(1), events(1))
			require.NoError(t, err, "a's cache says 0, the database says 1: not a conflict")
			assert.Equal(t, int64(2), res.NextVersion)

			_, err = app(b, eventstore.Exact(2), events(1)) // now 3
			require.NoError(t, err)
			_, err = app(a, eventstore.Exact(2), events(1))
			var ce *eventstore.ConflictError
			require.ErrorAs(t, err, &ce, "a's cache says 2, the database says 3: a conflict, not a database error")
			assert.Equal(t, int64(3), ce.Actual)

			bEvents := events(1)
			bRes, err := app(b, eventstore.Exact(3), bEvents) // now 4
			require.NoError(t, err)
			res, err = app(a, eventstore.Any, events(1))
			require.NoError(t, err)
			assert.Equal(t, int64(5), res.NextVersion)

			again, err := app(a, eventstore.Exact(3), bEvents)
			require.NoError(t, err, "a retry of b's append through a is idempotent")
			assert.Equal(t, bRes, again)

			_, err = a.Append(ctx, "acc", eventstore.NoStream, events(1))
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, int64(5), ce.Actual)

			got, err := a.ReadStream(ctx, "acc", eventstore.Forward, 0, 0)
			require.NoError(t, err)
			for i, e := range got {
				assert.Equal(t, int64(i), e.Version)
			}
			assert.Len(t, got, 6)
			requireGapFree(t, readAll(t, a))
		})
	}
}
