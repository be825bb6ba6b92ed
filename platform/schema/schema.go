// Package schema applies versioned migrations to Kabinet's SQL databases
// with bun's migrate package. Every component that owns tables (the event
// store, the journal, each read model, the write side's tables) declares
// its tables as a Component: a unique name and an ordered list of
// migrations. A schema change is one more migration appended to that list;
// nothing is ever edited in place once released.
//
// Up runs the unapplied migrations of the given components under a lock
// that serialises every process migrating the same database: a session
// advisory lock on PostgreSQL (keyed by the current schema) and an
// exclusive flock on a file beside the database on SQLite. Each migration
// runs in one transaction together with the row recording it in
// bun_migrations, so a migration is either applied and recorded or neither.
//
// The first migration of every component is the DDL the service ran before
// migrations were versioned, written with IF NOT EXISTS, so databases
// created by older releases are adopted as they are.
package schema

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// Table is where applied migrations are recorded (bun's default name).
const Table = "bun_migrations"

// Migration is one schema change of a component.
type Migration struct {
	// ID orders the component's migrations ("0001_tables", "0002_…") and
	// names the change; it never changes once released.
	ID string
	// Up applies the change inside tx (the caller commits it together with
	// the record of the migration).
	Up func(ctx context.Context, tx bun.Tx) error
}

// Component is the tables one component owns: its name, unique within a
// database, and its migrations in the order they apply.
type Component struct {
	Name       string
	Migrations []Migration
}

// qualified is the migration's name in bun_migrations: component/ID, so
// the components sharing a database never collide and each one's
// migrations sort in their own order.
func qualified(c Component, m Migration) string { return c.Name + "/" + m.ID }

// SQL returns a migration body that runs stmts in order. In stmts {int} is
// the 64-bit integer type (INTEGER on SQLite, where an INTEGER PRIMARY KEY
// is the rowid; BIGINT on PostgreSQL), {blob} the byte-string type, {time}
// the timestamp type and {serial} an auto-incremented integer primary key.
func SQL(stmts ...string) func(ctx context.Context, tx bun.Tx) error {
	return func(ctx context.Context, tx bun.Tx) error {
		r := replacer(tx.Dialect().Name())
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, r.Replace(s)); err != nil {
				return fmt.Errorf("%.60s…: %w", strings.TrimSpace(r.Replace(s)), err)
			}
		}
		return nil
	}
}

func replacer(d dialect.Name) *strings.Replacer {
	if d == dialect.PG {
		return strings.NewReplacer("{int}", "BIGINT", "{blob}", "BYTEA", "{time}", "TIMESTAMPTZ",
			"{serial}", "BIGSERIAL PRIMARY KEY")
	}
	return strings.NewReplacer("{int}", "INTEGER", "{blob}", "BLOB", "{time}", "TIMESTAMP",
		"{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT")
}

// State is one migration as status reports it.
type State struct {
	Component, ID string
	// Applied is when it was applied; zero while pending.
	Applied time.Time
}

// Pending reports whether the migration is still to be applied.
func (s State) Pending() bool { return s.Applied.IsZero() }

// migrations builds bun's set of the components' migrations.
func migrations(db *sqldb.DB, comps []Component) (*migrate.Migrations, error) {
	set := migrate.NewMigrations()
	seen := map[string]bool{}
	for _, c := range comps {
		if c.Name == "" || strings.Contains(c.Name, "/") {
			return nil, fmt.Errorf("schema: component name %q must be non-empty and without '/'", c.Name)
		}
		for _, m := range c.Migrations {
			name := qualified(c, m)
			if seen[name] {
				return nil, fmt.Errorf("schema: migration %s registered twice", name)
			}
			seen[name] = true
			set.Add(migrate.Migration{Name: name, Up: inTx(db, m)})
		}
	}
	return set, nil
}

// inTx runs m.Up and records it in one transaction. bun marks it applied
// again afterwards (an upsert on the name, which changes nothing).
func inTx(db *sqldb.DB, m Migration) func(ctx context.Context, _ *migrate.Migrator, rec *migrate.Migration) error {
	return func(ctx context.Context, _ *migrate.Migrator, rec *migrate.Migration) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := m.Up(ctx, tx); err != nil {
				return err
			}
			mark := *rec
			mark.ID = 0
			_, err := tx.NewInsert().Model(&mark).ModelTableExpr(Table).Exec(ctx)
			return err
		})
	}
}

func migrator(db *sqldb.DB, set *migrate.Migrations) *migrate.Migrator {
	return migrate.NewMigrator(db.DB, set, migrate.WithTableName(Table),
		migrate.WithMarkAppliedOnSuccess(true), migrate.WithUpsert(true))
}

// Up applies every pending migration of comps to db under the database's
// migration lock and returns the names (component/ID) it applied, in order.
func Up(ctx context.Context, db *sqldb.DB, comps ...Component) ([]string, error) {
	set, err := migrations(db, comps)
	if err != nil {
		return nil, err
	}
	if len(set.Sorted()) == 0 {
		return nil, nil
	}
	var applied []string
	err = withLock(ctx, db, func() error {
		m := migrator(db, set)
		// Init's DDL is skipped once the table is there: a start-up with
		// nothing pending is then one lock and two reads.
		exists, err := tableExists(ctx, db, Table)
		if err != nil {
			return err
		}
		if !exists {
			if err := m.Init(ctx); err != nil {
				return fmt.Errorf("create %s: %w", Table, err)
			}
		}
		group, err := m.Migrate(ctx)
		for _, g := range group.Migrations {
			applied = append(applied, g.Name)
		}
		return err
	})
	if err != nil {
		return applied, fmt.Errorf("migrate %s database: %w", db.Kind, err)
	}
	return applied, nil
}

// Status lists comps' migrations in order, each with when it was applied.
// It changes nothing: on a database never migrated every one is pending.
func Status(ctx context.Context, db *sqldb.DB, comps ...Component) ([]State, error) {
	set, err := migrations(db, comps)
	if err != nil {
		return nil, err
	}
	applied := map[string]time.Time{}
	exists, err := tableExists(ctx, db, Table)
	if err != nil {
		return nil, err
	}
	if exists {
		ms, err := migrator(db, set).AppliedMigrations(ctx)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", Table, err)
		}
		for _, m := range ms {
			applied[m.Name] = m.MigratedAt.UTC()
		}
	}
	var out []State
	for _, c := range comps {
		for _, m := range c.Migrations {
			out = append(out, State{Component: c.Name, ID: m.ID, Applied: applied[qualified(c, m)]})
		}
	}
	return out, nil
}

// tableExists reports whether name is a table of db's current schema.
func tableExists(ctx context.Context, db *sqldb.DB, name string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.IsPostgres() {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	var n int
	if err := db.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for %s: %w", name, err)
	}
	return n > 0, nil
}
