package schema_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// widgets is a component as a package declares it: release 1 made the
// table (IF NOT EXISTS, as before migrations were versioned), release 2
// added a column.
var widgets1 = schema.Migration{ID: "0001_tables", Up: schema.SQL(
	`CREATE TABLE IF NOT EXISTS widgets (id {int} PRIMARY KEY, name TEXT NOT NULL)`)}
var widgets2 = schema.Migration{ID: "0002_colour", Up: schema.SQL(
	`ALTER TABLE widgets ADD COLUMN colour TEXT NOT NULL DEFAULT 'grey'`)}

func widgets(ms ...schema.Migration) schema.Component {
	return schema.Component{Name: "widgets", Migrations: ms}
}

func TestUpAppliesEveryMigrationOfAFreshDatabaseOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		applied, err := schema.Up(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err)
		assert.Equal(t, []string{"widgets/0001_tables", "widgets/0002_colour"}, applied)
		_, err = db.ExecContext(ctx, `INSERT INTO widgets (id, name, colour) VALUES (1, 'a', 'red')`)
		require.NoError(t, err)

		again, err := schema.Up(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err)
		assert.Empty(t, again, "nothing is applied twice")
	})
}

func TestUpAppliesOnlyTheMigrationAppendedSinceTheLastRun(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		_, err := schema.Up(ctx, db, widgets(widgets1))
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO widgets (id, name) VALUES (1, 'kept')`)
		require.NoError(t, err)

		applied, err := schema.Up(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err)
		assert.Equal(t, []string{"widgets/0002_colour"}, applied)
		var name, colour string
		require.NoError(t, db.QueryRowContext(ctx, `SELECT name, colour FROM widgets WHERE id = 1`).Scan(&name, &colour))
		assert.Equal(t, "kept", name)
		assert.Equal(t, "grey", colour)
	})
}

func TestUpAdoptsADatabaseCreatedBeforeMigrationsWereVersioned(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		// What the old start-up code left: the table and its rows, no
		// record of any migration.
		_, err := db.ExecContext(ctx, `CREATE TABLE widgets (id BIGINT PRIMARY KEY, name TEXT NOT NULL)`)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO widgets (id, name) VALUES (7, 'old')`)
		require.NoError(t, err)

		applied, err := schema.Up(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err)
		assert.Equal(t, []string{"widgets/0001_tables", "widgets/0002_colour"}, applied)
		var name, colour string
		require.NoError(t, db.QueryRowContext(ctx, `SELECT name, colour FROM widgets WHERE id = 7`).Scan(&name, &colour))
		assert.Equal(t, "old", name)
		assert.Equal(t, "grey", colour)
	})
}

func TestStatusListsPendingThenAppliedMigrationsAndChangesNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st, err := schema.Status(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err)
		require.Len(t, st, 2)
		assert.True(t, st[0].Pending() && st[1].Pending())
		var n int
		assert.Error(t, db.QueryRowContext(ctx, `SELECT count(*) FROM widgets`).Scan(&n),
			"status created nothing")

		_, err = schema.Up(ctx, db, widgets(widgets1))
		require.NoError(t, err)
		st, err = schema.Status(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err)
		assert.Equal(t, "widgets", st[0].Component)
		assert.Equal(t, "0001_tables", st[0].ID)
		assert.False(t, st[0].Pending())
		assert.WithinDuration(t, time.Now(), st[0].Applied, time.Hour)
		assert.Equal(t, "0002_colour", st[1].ID)
		assert.True(t, st[1].Pending())
	})
}

func TestAFailedMigrationLeavesNothingAndIsRetried(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		broken := schema.Migration{ID: "0002_colour", Up: func(ctx context.Context, tx bun.Tx) error {
			if err := widgets2.Up(ctx, tx); err != nil {
				return err
			}
			return errors.New("disk on fire")
		}}
		_, err := schema.Up(ctx, db, widgets(widgets1, broken))
		require.ErrorContains(t, err, "disk on fire")
		st, err := schema.Status(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err)
		assert.False(t, st[0].Pending())
		assert.True(t, st[1].Pending(), "the failed migration is not recorded")

		applied, err := schema.Up(ctx, db, widgets(widgets1, widgets2))
		require.NoError(t, err, "its column was rolled back, so adding it again works")
		assert.Equal(t, []string{"widgets/0002_colour"}, applied)
	})
}

func TestComponentsSharingADatabaseKeepTheirOwnMigrations(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	gadgets := schema.Component{Name: "gadgets", Migrations: []schema.Migration{{ID: "0001_tables",
		Up: schema.SQL(`CREATE TABLE IF NOT EXISTS gadgets (id {int} PRIMARY KEY)`)}}}
	_, err := schema.Up(ctx, db, widgets(widgets1))
	require.NoError(t, err)
	applied, err := schema.Up(ctx, db, widgets(widgets1), gadgets)
	require.NoError(t, err)
	assert.Equal(t, []string{"gadgets/0001_tables"}, applied, "the same ID in another component is another migration")

	_, err = schema.Up(ctx, db, widgets(widgets1, widgets1))
	assert.ErrorContains(t, err, "registered twice")
}

// TestConcurrentStartUpsOnPostgresMigrateOnce starts several processes'
// worth of pools at once on one database: each migration runs exactly once
// (the second migration is not idempotent, so a second run would fail),
// and every start-up succeeds.
func TestConcurrentStartUpsOnPostgresMigrateOnce(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	ctx := context.Background()
	var runs atomic.Int32
	counted := schema.Migration{ID: "0002_plain", Up: func(ctx context.Context, tx bun.Tx) error {
		runs.Add(1)
		_, err := tx.ExecContext(ctx, `CREATE TABLE plain (id BIGINT PRIMARY KEY)`)
		return err
	}}
	const instances = 8
	var wg sync.WaitGroup
	errs := make([]error, instances)
	applied := make([][]string, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqldb.Open(ctx, dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = schema.Up(ctx, db, widgets(widgets1, counted, widgets2))
		}()
	}
	wg.Wait()
	total := 0
	for i := range instances {
		require.NoError(t, errs[i], "instance %d", i)
		total += len(applied[i])
	}
	assert.Equal(t, int32(1), runs.Load())
	assert.Equal(t, 3, total, "each migration applied by exactly one instance")
}

// TestConcurrentMigrationsOfOneSQLiteFileMigrateOnce is the same for two
// pools on one SQLite file (serve and `kabinet migrate up` at once).
func TestConcurrentMigrationsOfOneSQLiteFileMigrateOnce(t *testing.T) {
	path := t.TempDir() + "/db.sqlite"
	ctx := context.Background()
	var runs atomic.Int32
	counted := schema.Migration{ID: "0002_plain", Up: func(ctx context.Context, tx bun.Tx) error {
		runs.Add(1)
		_, err := tx.ExecContext(ctx, `CREATE TABLE plain (id INTEGER PRIMARY KEY)`)
		return err
	}}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqldb.OpenSQLite(ctx, path, true)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			_, errs[i] = schema.Up(ctx, db, widgets(widgets1, counted))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), runs.Load())
}
