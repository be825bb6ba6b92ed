// Package sqldb opens the SQL databases Kabinet keeps its events, read models
// and journal in: an embedded SQLite file or a PostgreSQL server, both through bun.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/extra/bunotel"
)

// Kind names a SQL backend.
type Kind string

const (
	// SQLite is the embedded backend.
	SQLite Kind = "sqlite"
	// Postgres is the server backend.
	Postgres Kind = "postgres"
)

// DB is a bun database together with its backend kind and the DSN it came from.
type DB struct {
	*bun.DB
	Kind Kind
	DSN  string

	group *txGroup // RunGrouped's queue; nil on PostgreSQL
}

// busyTimeout is how long a SQLite write waits for the file's lock, both
// at the process's write gate and in SQLite's busy handler.
const busyTimeout = 10 * time.Second

// MaxIdleConns is how many idle connections a SQLite pool keeps open. It
// is above the concurrency a server reaches (64 requests in flight each
// holding a connection for one query), so a burst's connections stay open
// for the next one instead of being closed and reopened: reopening runs the
// PRAGMAs, parses the schema and prepares the hot statements again.
const MaxIdleConns = 128

// IsPostgres reports whether db is PostgreSQL.
func (db *DB) IsPostgres() bool { return db.Kind == Postgres }

// Open opens dsn: "postgres://…" (or "postgresql://…") for PostgreSQL, anything
// else is a SQLite file path (optionally prefixed "sqlite:"). SQLite files are
// opened in WAL mode with synchronous=FULL so a commit is durable when it returns.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), true)
}

// OpenSQLite opens a SQLite file. durable selects synchronous=FULL (every
// commit reaches the disk) over NORMAL (WAL-consistent, may lose the last
// commits on power loss: fine for rebuildable read models).
func OpenSQLite(ctx context.Context, path string, durable bool) (*DB, error) {
	sync := "NORMAL"
	if durable {
		sync = "FULL"
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(ON)")
	// Deleted and overwritten content is zeroed, so erased personal data and
	// destroyed keys do not linger in free pages.
	q.Add("_pragma", "secure_delete(ON)")
	q.Set("_txlock", "immediate")
	connector, err := newGatedConnector("file:"+path+"?"+q.Encode(), path, busyTimeout)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqldb := sql.OpenDB(connector)
	// Keep connections open: each new SQLite connection runs its PRAGMAs
	// and parses the schema again, which under concurrent reads cost more
	// than the reads (database/sql keeps only two idle ones by default).
	sqldb.SetMaxIdleConns(MaxIdleConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return traced(&DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Kind: SQLite, DSN: path, group: new(txGroup)}), nil
}

// Shred pushes what was deleted or overwritten out of the database's files
// where it could still be read: on SQLite it checkpoints the write-ahead log
// and truncates it (secure_delete already zeroed the pages themselves); on
// PostgreSQL it vacuums the named tables, so dead row versions are reclaimed.
func (db *DB) Shred(ctx context.Context, tables ...string) error {
	if db.IsPostgres() {
		for _, t := range tables {
			if _, err := db.ExecContext(ctx, "VACUUM "+t); err != nil {
				return fmt.Errorf("vacuum %s: %w", t, err)
			}
		}
		return nil
	}
	var busy, logFrames, checkpointed int
	row := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	if err := row.Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("checkpoint wal: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint wal of %s: a reader or writer kept it busy", db.DSN)
	}
	return nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres dsn: %w", err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	return traced(&DB{DB: bun.NewDB(sqldb, pgdialect.New()), Kind: Postgres, DSN: dsn}), nil
}

// traced makes every query of db a span of the global tracer provider
// (no-op until tracing is set up). The statement is recorded with its
// placeholders, never with the values bound to them.
func traced(db *DB) *DB {
	db.DB = db.DB.WithQueryHook(bunotel.NewQueryHook(bunotel.WithDBName(string(db.Kind)), bunotel.WithFormattedQueries(false)))
	return db
}
