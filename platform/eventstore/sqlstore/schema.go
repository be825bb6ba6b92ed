package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// The tables differ only in column types: SQLite's INTEGER PRIMARY KEY makes
// position the rowid (the global log is the table's own order), times are
// fixed-width UTC text there (readable and sortable) and timestamptz on
// PostgreSQL. Data and metadata are bytes on both, never JSONB, so they come
// back byte for byte.
var sqliteSchema = []string{
	`CREATE TABLE IF NOT EXISTS events (
		position       INTEGER PRIMARY KEY,
		stream_id      TEXT    NOT NULL,
		version        INTEGER NOT NULL,
		event_id       TEXT    NOT NULL UNIQUE,
		type           TEXT    NOT NULL,
		schema_version INTEGER NOT NULL,
		data           BLOB    NOT NULL,
		metadata       BLOB    NOT NULL,
		occurred_at    TEXT    NOT NULL,
		recorded_at    TEXT    NOT NULL,
		UNIQUE (stream_id, version)
	)`,
	`CREATE TABLE IF NOT EXISTS event_streams (
		stream_id TEXT    PRIMARY KEY,
		version   INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS event_head (
		id       INTEGER PRIMARY KEY CHECK (id = 1),
		position INTEGER NOT NULL
	)`,
	headSeed,
}

var pgSchema = []string{
	`CREATE TABLE IF NOT EXISTS events (
		position       BIGINT      PRIMARY KEY,
		stream_id      TEXT        NOT NULL,
		version        BIGINT      NOT NULL,
		event_id       UUID        NOT NULL UNIQUE,
		type           TEXT        NOT NULL,
		schema_version INTEGER     NOT NULL,
		data           BYTEA       NOT NULL,
		metadata       BYTEA       NOT NULL,
		occurred_at    TIMESTAMPTZ NOT NULL,
		recorded_at    TIMESTAMPTZ NOT NULL,
		UNIQUE (stream_id, version)
	)`,
	`CREATE TABLE IF NOT EXISTS event_streams (
		stream_id TEXT   PRIMARY KEY,
		version   BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS event_head (
		id       SMALLINT PRIMARY KEY CHECK (id = 1),
		position BIGINT   NOT NULL
	)`,
	headSeed,
}

// headSeed creates the one head row; seeding it from the events makes the
// migration safe to run on a log written before the head table existed.
// ("WHERE true" keeps SQLite from reading ON CONFLICT as a join clause.)
const headSeed = `INSERT INTO event_head (id, position)
	SELECT 1, COALESCE(MAX(position), 0) FROM events WHERE true
	ON CONFLICT (id) DO NOTHING`

// Migrations are the event store's tables, oldest first.
var Migrations = schema.Component{Name: "events", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: func(ctx context.Context, tx bun.Tx) error {
		stmts := sqliteSchema
		if tx.Dialect().Name() == dialect.PG {
			stmts = pgSchema
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("create event tables: %w", err)
			}
		}
		return nil
	}},
}}

// Migrate applies the event store's pending migrations (events,
// event_streams, event_head). It is safe to run from several processes at
// once (see platform/schema).
func Migrate(ctx context.Context, db *sqldb.DB) error {
	_, err := schema.Up(ctx, db, Migrations)
	return err
}
