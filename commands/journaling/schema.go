package journaling

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// The inbox holds entries of actions that wrote no events (refusals,
// denials, staff reads) until the writer journals them; the cursor is the
// global-log position up to which the writer has journaled the events.
// created_at is Unix microseconds.
var sqliteSchema = []string{
	`CREATE TABLE IF NOT EXISTS journal_inbox (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		entry      TEXT    NOT NULL,
		created_at BIGINT  NOT NULL)`,
	cursorTable,
}

var pgSchema = []string{
	`CREATE TABLE IF NOT EXISTS journal_inbox (
		id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		entry      TEXT   NOT NULL,
		created_at BIGINT NOT NULL)`,
	cursorTable,
}

const cursorTable = `CREATE TABLE IF NOT EXISTS journal_cursor (
		name     TEXT   PRIMARY KEY,
		position BIGINT NOT NULL)`

// Migrations are the journal writer's tables, oldest first.
var Migrations = schema.Component{Name: "journaling", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: func(ctx context.Context, tx bun.Tx) error {
		stmts := sqliteSchema
		if tx.Dialect().Name() == dialect.PG {
			stmts = pgSchema
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("create journal inbox: %w", err)
			}
		}
		return nil
	}},
}}

// migrate applies the writer's pending migrations and creates the cursor
// row named name.
func migrate(ctx context.Context, db *sqldb.DB, name string) error {
	if _, err := schema.Up(ctx, db, Migrations); err != nil {
		return fmt.Errorf("journaling: %w", err)
	}
	_, err := db.ExecContext(ctx,
		`INSERT INTO journal_cursor (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`, name)
	if err != nil {
		return fmt.Errorf("journaling: create cursor %q: %w", name, err)
	}
	return nil
}

// inboxRow is one journal_inbox row as read by the writer.
type inboxRow struct {
	id    int64
	entry string
}

// readInbox returns up to limit inbox rows in id order.
func readInbox(ctx context.Context, db bun.IDB, limit int) ([]inboxRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, entry FROM journal_inbox ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read inbox: %w", err)
	}
	defer rows.Close()
	var out []inboxRow
	for rows.Next() {
		var r inboxRow
		if err := rows.Scan(&r.id, &r.entry); err != nil {
			return nil, fmt.Errorf("read inbox: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read inbox: %w", err)
	}
	return out, nil
}

// inboxWaiting reports whether the inbox holds any row.
func inboxWaiting(ctx context.Context, db bun.IDB) (bool, error) {
	var id int64
	err := db.QueryRowContext(ctx, `SELECT id FROM journal_inbox ORDER BY id LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look at inbox: %w", err)
	}
	return true, nil
}

// deleteInbox deletes the consumed rows; every one must still be there,
// else another writer consumed them meanwhile.
func deleteInbox(ctx context.Context, tx bun.IDB, rows []inboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	var q strings.Builder
	args := make([]any, len(rows))
	q.WriteString(`DELETE FROM journal_inbox WHERE id IN (`)
	for i, r := range rows {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('?')
		args[i] = r.id
	}
	q.WriteByte(')')
	res, err := tx.ExecContext(ctx, q.String(), args...)
	if err != nil {
		return fmt.Errorf("delete inbox rows: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete inbox rows: %w", err)
	} else if n != int64(len(rows)) {
		return fmt.Errorf("delete inbox rows: %d of %d gone: %w", int64(len(rows))-n, len(rows), ErrConcurrentWriter)
	}
	return nil
}

// readCursor reads the cursor; lock takes its row lock on PostgreSQL (a
// SQLite write transaction is exclusive already).
func readCursor(ctx context.Context, db bun.IDB, name string, lock bool) (uint64, error) {
	q := `SELECT position FROM journal_cursor WHERE name = ?`
	if lock && db.Dialect().Name() == dialect.PG {
		q += ` FOR UPDATE`
	}
	var pos int64
	if err := db.QueryRowContext(ctx, q, name).Scan(&pos); err != nil {
		return 0, fmt.Errorf("read cursor %q: %w", name, err)
	}
	return uint64(pos), nil
}

// writeCursor moves the cursor from old to pos.
func writeCursor(ctx context.Context, tx bun.IDB, name string, old, pos uint64) error {
	res, err := tx.ExecContext(ctx, `UPDATE journal_cursor SET position = ? WHERE name = ? AND position = ?`,
		int64(pos), name, int64(old))
	if err != nil {
		return fmt.Errorf("advance cursor: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("advance cursor: %w", err)
	} else if n != 1 {
		return fmt.Errorf("advance cursor from %d: %w", old, ErrConcurrentWriter)
	}
	return nil
}
