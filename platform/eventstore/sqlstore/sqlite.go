package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// sqliteTime is how times are stored in SQLite: fixed-width UTC text, so
// that it reads well, sorts, and keeps microseconds exactly.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// insertChunk is the most rows one multi-row INSERT carries (10 parameters
// each, far below SQLite's limit).
const insertChunk = 64

// sqliteBackend writes on SQLite. The connection's write lock, taken at BEGIN
// (sqldb opens SQLite with _txlock=immediate), serialises writers, even in
// other processes, so the head needs no row lock. Lists go in as one JSON
// parameter (json_each) so each statement is prepared once.
type sqliteBackend struct {
	head, versions, ids, streams, setHd *sql.Stmt
	inserts                             map[int]*sql.Stmt // by row count; writer only
	db                                  *sql.DB
}

func newSQLite(ctx context.Context, db *sql.DB) (*sqliteBackend, error) {
	var level int
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
		return nil, fmt.Errorf("read synchronous: %w", err)
	}
	if level < 2 { // 2 is FULL, 3 EXTRA
		return nil, errors.New("sqlite is not durable (synchronous < FULL); open it with sqldb.Open")
	}
	b := &sqliteBackend{db: db, inserts: make(map[int]*sql.Stmt)}
	err := prepareAll(ctx, db, []prep{
		{&b.head, `SELECT position FROM event_head WHERE id = 1`},
		{&b.versions, `SELECT stream_id, version FROM event_streams
			WHERE stream_id IN (SELECT value FROM json_each($1))`},
		{&b.ids, `SELECT event_id, stream_id, version, position FROM events
			WHERE event_id IN (SELECT value FROM json_each($1))`},
		{&b.streams, `INSERT INTO event_streams (stream_id, version)
			SELECT value ->> 0, value ->> 1 FROM json_each($1) WHERE true
			ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version`},
		{&b.setHd, `UPDATE event_head SET position = $1 WHERE id = 1`},
	})
	if err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *sqliteBackend) lockHead(ctx context.Context, tx *sql.Tx) (int64, error) {
	// Multi-row statements keep a statement journal; on disk (the default)
	// each group would create, write and delete a temporary file. The
	// setting belongs to the connection (sqldb's, shared), hence here, where
	// it costs next to nothing once set.
	if _, err := tx.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		return 0, err
	}
	var head int64
	err := tx.StmtContext(ctx, b.head).QueryRowContext(ctx).Scan(&head)
	return head, err
}

func (b *sqliteBackend) streamVersions(ctx context.Context, tx *sql.Tx, streams []string) (map[string]int64, error) {
	list, err := json.Marshal(streams)
	if err != nil {
		return nil, err
	}
	rows, err := tx.StmtContext(ctx, b.versions).QueryContext(ctx, string(list))
	if err != nil {
		return nil, err
	}
	return scanVersions(rows, len(streams))
}

func (b *sqliteBackend) findIDs(ctx context.Context, tx *sql.Tx, ids []uuid.UUID) (map[uuid.UUID]eventLoc, error) {
	if len(ids) == 0 {
		return map[uuid.UUID]eventLoc{}, nil
	}
	list, err := json.Marshal(ids) // uuid.UUID marshals as its string form
	if err != nil {
		return nil, err
	}
	rows, err := tx.StmtContext(ctx, b.ids).QueryContext(ctx, string(list))
	if err != nil {
		return nil, err
	}
	return scanLocs(rows, len(ids))
}

func (b *sqliteBackend) write(ctx context.Context, tx *sql.Tx, w writeSet) error {
	if err := b.insertEvents(ctx, tx, w.rows); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	if err := b.setStreams(ctx, tx, w.streams, w.versions); err != nil {
		return fmt.Errorf("update streams: %w", err)
	}
	if _, err := tx.StmtContext(ctx, b.setHd).ExecContext(ctx, w.head); err != nil {
		return fmt.Errorf("update head: %w", err)
	}
	return nil
}

func (b *sqliteBackend) insertEvents(ctx context.Context, tx *sql.Tx, rows []row) error {
	for len(rows) > 0 {
		n := min(len(rows), insertChunk)
		stmt, err := b.insertStmt(ctx, n)
		if err != nil {
			return err
		}
		args := make([]any, 0, n*10)
		for _, r := range rows[:n] {
			e := r.event
			args = append(args, r.position, r.stream, r.version, e.ID.String(), e.Type, e.SchemaVersion,
				nonNil(e.Data), nonNil(e.Metadata),
				e.OccurredAt.UTC().Format(sqliteTime), r.recorded.Format(sqliteTime))
		}
		if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// insertStmt returns the prepared INSERT for n rows.
func (b *sqliteBackend) insertStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st, ok := b.inserts[n]; ok {
		return st, nil
	}
	st, err := b.db.PrepareContext(ctx, insertSQL(n))
	if err != nil {
		return nil, err
	}
	b.inserts[n] = st
	return st, nil
}

// insertSQL is a multi-row INSERT of n rows. It uses anonymous "?"
// parameters: with numbered ones SQLite looks each name up in a list, which
// costs quadratic time in the number of parameters.
func insertSQL(n int) string {
	const rowParams = "(?,?,?,?,?,?,?,?,?,?)"
	var q strings.Builder
	q.WriteString(`INSERT INTO events (position, stream_id, version, event_id, type, schema_version,
		data, metadata, occurred_at, recorded_at) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(rowParams)
	}
	return q.String()
}

func (b *sqliteBackend) setStreams(ctx context.Context, tx *sql.Tx, streams []string, versions []int64) error {
	pairs := make([][2]any, len(streams))
	for i := range streams {
		pairs[i] = [2]any{streams[i], versions[i]}
	}
	list, err := json.Marshal(pairs)
	if err != nil {
		return err
	}
	_, err = tx.StmtContext(ctx, b.streams).ExecContext(ctx, string(list))
	return err
}

func (b *sqliteBackend) close() {
	for _, st := range []*sql.Stmt{b.head, b.versions, b.ids, b.streams, b.setHd} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range b.inserts {
		st.Close()
	}
}
