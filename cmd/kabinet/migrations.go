package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/cmdhttp"
	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/commands/signin"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/ratelimit"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections/applications"
	"github.com/kabinet/kabinet/projections/appointments"
	"github.com/kabinet/kabinet/projections/audit"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/notifications"
	"github.com/kabinet/kabinet/projections/operatorqueue"
	"github.com/kabinet/kabinet/projections/poison"
	"github.com/kabinet/kabinet/projections/support"
)

// The components whose tables live in each of the service's databases. A
// component with tables of its own adds its schema.Component here once;
// a change of its tables is one more migration in that component.
var (
	eventComponents   = []schema.Component{sqlstore.Migrations}
	journalComponents = []schema.Component{journal.Migrations, journaling.Migrations}
	readComponents    = []schema.Component{
		cabinet.Migrations, applications.Migrations, notifications.Migrations, operatorqueue.Migrations, audit.Migrations,
		esbus.CheckpointMigrations, poison.Migrations,
		cmdhttp.IdempotencyMigrations, scheduler.ClarificationMigrations, scheduler.UnpaidFeeMigrations,
		commands.CodeLimitMigrations, signin.Migrations,
		scheduler.Migrations, scheduler.ExpiryMigrations, scheduler.RetentionMigrations,
		support.Migrations, appointments.Migrations, scheduler.ReminderMigrations, scheduler.RefundMigrations,
	}
	// pgReadComponents are in the read store only when it is PostgreSQL:
	// what several instances share there (in-process or files on SQLite).
	pgReadComponents = []schema.Component{ratelimit.Migrations, blobstore.Migrations}
)

// database is one of the service's SQL databases and the components whose
// tables it holds.
type database struct {
	role  string // "events", "journal", "read", or several joined by '+'
	db    *sqldb.DB
	comps []schema.Component
}

// schemaPlan groups the components by database: events, journal and read
// models may be one database, two or three (events nil: KurrentDB).
func schemaPlan(events, journalDB, read *sqldb.DB) []database {
	var out []database
	add := func(role string, db *sqldb.DB, comps []schema.Component) {
		if db == nil {
			return
		}
		for i := range out {
			if out[i].db == db {
				if !slices.Contains(strings.Split(out[i].role, "+"), role) {
					out[i].role += "+" + role
				}
				out[i].comps = append(out[i].comps, comps...)
				return
			}
		}
		out = append(out, database{role: role, db: db, comps: append([]schema.Component(nil), comps...)})
	}
	add("events", events, eventComponents)
	add("journal", journalDB, journalComponents)
	add("read", read, readComponents)
	if read != nil && read.IsPostgres() {
		add("read", read, pgReadComponents)
	}
	return out
}

// migrateAll applies every database's pending migrations, each under its
// migration lock, and logs what it applied.
func migrateAll(ctx context.Context, plan []database, logger *slog.Logger) error {
	for _, d := range plan {
		applied, err := schema.Up(ctx, d.db, d.comps...)
		if err != nil {
			return fmt.Errorf("%s database: %w", d.role, err)
		}
		if len(applied) > 0 {
			logger.Info("migrations applied", "database", d.role, "count", len(applied), "migrations", applied)
		}
	}
	return nil
}

// openPlan opens the configured databases without their stores (nothing
// is migrated) and returns them grouped with their components.
func openPlan(ctx context.Context, c Config) ([]database, func(), error) {
	var closers []func() error
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if _, ok := kurrentConnString(c.EventStore); ok {
		sys, err := openRead(ctx, c.ReadStore, true)
		if err != nil {
			return nil, nil, err
		}
		return schemaPlan(nil, sys, sys), func() { sys.Close() }, nil
	}
	events, err := sqldb.Open(ctx, c.EventStore)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, events.Close)
	read := events
	if c.ReadStore != c.EventStore {
		if read, err = openRead(ctx, c.ReadStore, false); err != nil {
			closeAll()
			return nil, nil, err
		}
		closers = append(closers, read.Close)
	}
	jdb, owned, err := openJournalDB(ctx, c, events)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	if owned {
		closers = append(closers, jdb.Close)
	}
	return schemaPlan(events, jdb, read), closeAll, nil
}

// cmdMigrate is `kabinet migrate [status|up]`: status lists every
// migration of every database with when it was applied; up (the default)
// applies the pending ones.
func cmdMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	sub, name := "up", "migrate"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
		name += " " + sub
	}
	if sub != "up" && sub != "status" {
		return usageError{"usage: kabinet migrate [status|up] [flags]"}
	}
	c, _, err := parseConfig(name, args)
	if err != nil {
		return err
	}
	if err := ensureDataDir(c.DataDir); err != nil {
		return err
	}
	plan, closeAll, err := openPlan(ctx, c)
	if err != nil {
		return err
	}
	defer closeAll()
	if sub == "status" {
		return printStatus(ctx, plan, stdout)
	}
	total := 0
	for _, d := range plan {
		applied, err := schema.Up(ctx, d.db, d.comps...)
		for _, name := range applied {
			fmt.Fprintf(stdout, "applied %s (%s database)\n", name, d.role)
		}
		total += len(applied)
		if err != nil {
			return fmt.Errorf("%s database: %w", d.role, err)
		}
	}
	fmt.Fprintf(stdout, "%d migrations applied; the schema is current\n", total)
	return nil
}

// printStatus writes one line a migration, database by database.
func printStatus(ctx context.Context, plan []database, w io.Writer) error {
	pending := 0
	for _, d := range plan {
		states, err := schema.Status(ctx, d.db, d.comps...)
		if err != nil {
			return fmt.Errorf("%s database: %w", d.role, err)
		}
		fmt.Fprintf(w, "%s database (%s %s):\n", d.role, d.db.Kind, redactDSN(d.db.DSN))
		for _, s := range states {
			state := "pending"
			if !s.Pending() {
				state = "applied " + s.Applied.Format(time.RFC3339)
			} else {
				pending++
			}
			fmt.Fprintf(w, "  %-44s %s\n", s.Component+"/"+s.ID, state)
		}
	}
	fmt.Fprintf(w, "%d pending\n", pending)
	return nil
}

// redactDSN hides a PostgreSQL DSN's password.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return dsn
	}
	return u.Redacted()
}
