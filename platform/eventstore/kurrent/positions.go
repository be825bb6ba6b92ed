package kurrent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// positions is where the index keeps its numbering: the $all position of
// the nth user event, and the cursor (the last record read, user or
// system). The index serialises writers and guards readers; a positions
// only has to answer.
type positions interface {
	// load returns how many user events are numbered, the cursor (ok
	// false: nothing was read yet) and the id of user event 1, which tells
	// one log from another.
	load(ctx context.Context) (count uint64, cursor esdb.Position, ok bool, firstID string, err error)
	// at returns the $all position of user event n (1 ≤ n ≤ count).
	at(ctx context.Context, n uint64) (esdb.Position, error)
	// find returns the number of the user event at $all position p, if
	// one is numbered there.
	find(ctx context.Context, p esdb.Position) (uint64, bool, error)
	// add numbers ps as the user events after the first from, and moves
	// the cursor, all at once; firstID is user event 1's id when from is 0.
	add(ctx context.Context, from uint64, ps []esdb.Position, cursor esdb.Position, firstID string) error
	// reset forgets everything (the log is not the one numbered).
	reset(ctx context.Context) error
	close() error
}

// memPositions keeps the numbering in memory: rebuilt from $all at every
// start, its size grows with the log (16 bytes per event).
type memPositions struct {
	pos     []esdb.Position
	cursor  esdb.Position
	started bool
}

func (m *memPositions) load(context.Context) (uint64, esdb.Position, bool, string, error) {
	return uint64(len(m.pos)), m.cursor, m.started, "", nil
}

func (m *memPositions) at(_ context.Context, n uint64) (esdb.Position, error) {
	return m.pos[n-1], nil
}

func (m *memPositions) find(_ context.Context, p esdb.Position) (uint64, bool, error) {
	i := sort.Search(len(m.pos), func(i int) bool { return !after(p, m.pos[i]) })
	if i < len(m.pos) && m.pos[i] == p {
		return uint64(i) + 1, true, nil
	}
	return 0, false, nil
}

func (m *memPositions) add(_ context.Context, _ uint64, ps []esdb.Position, cursor esdb.Position, _ string) error {
	m.pos = append(m.pos, ps...)
	m.cursor, m.started = cursor, true
	return nil
}

func (m *memPositions) reset(context.Context) error {
	*m = memPositions{}
	return nil
}

func (m *memPositions) close() error { return nil }

// filePositions keeps the numbering in a SQLite file, so a start reads
// only the part of $all written since the last run and memory does not
// grow with the log. The file is derived from the log alone: deleting it
// only makes the next start read $all from the beginning.
//
// Positions are stored as SQLite integers (int64): KurrentDB's are byte
// offsets in its transaction log, far below 2^63.
type filePositions struct {
	db              *sql.DB
	atStmt, findStm *sql.Stmt
}

// openFilePositions opens (creating if needed) the numbering file at path.
func openFilePositions(ctx context.Context, path string) (*filePositions, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open position index %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(0)
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS user_events (n INTEGER PRIMARY KEY, commit_pos INTEGER NOT NULL, prepare_pos INTEGER NOT NULL)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS user_events_pos ON user_events (commit_pos, prepare_pos)`,
		`CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), commit_pos INTEGER NOT NULL, prepare_pos INTEGER NOT NULL,
			first_id TEXT NOT NULL DEFAULT '')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("create position index %s: %w", path, err)
		}
	}
	f := &filePositions{db: db}
	if f.atStmt, err = db.PrepareContext(ctx, `SELECT commit_pos, prepare_pos FROM user_events WHERE n = ?`); err == nil {
		f.findStm, err = db.PrepareContext(ctx, `SELECT n FROM user_events WHERE commit_pos = ? AND prepare_pos = ?`)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare position index %s: %w", path, err)
	}
	return f, nil
}

func (f *filePositions) load(ctx context.Context) (uint64, esdb.Position, bool, string, error) {
	var count int64
	if err := f.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(n), 0) FROM user_events`).Scan(&count); err != nil {
		return 0, esdb.Position{}, false, "", fmt.Errorf("read position index: %w", err)
	}
	var c, p int64
	var first string
	err := f.db.QueryRowContext(ctx, `SELECT commit_pos, prepare_pos, first_id FROM cursor WHERE id = 1`).Scan(&c, &p, &first)
	if errors.Is(err, sql.ErrNoRows) {
		return uint64(count), esdb.Position{}, false, "", nil
	}
	if err != nil {
		return 0, esdb.Position{}, false, "", fmt.Errorf("read position index cursor: %w", err)
	}
	return uint64(count), esdb.Position{Commit: uint64(c), Prepare: uint64(p)}, true, first, nil
}

func (f *filePositions) at(ctx context.Context, n uint64) (esdb.Position, error) {
	var c, p int64
	if err := f.atStmt.QueryRowContext(ctx, int64(n)).Scan(&c, &p); err != nil {
		return esdb.Position{}, fmt.Errorf("position index: user event %d: %w", n, err)
	}
	return esdb.Position{Commit: uint64(c), Prepare: uint64(p)}, nil
}

func (f *filePositions) find(ctx context.Context, p esdb.Position) (uint64, bool, error) {
	var n int64
	err := f.findStm.QueryRowContext(ctx, int64(p.Commit), int64(p.Prepare)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("position index: find %d/%d: %w", p.Commit, p.Prepare, err)
	}
	return uint64(n), true, nil
}

func (f *filePositions) add(ctx context.Context, from uint64, ps []esdb.Position, cursor esdb.Position, firstID string) error {
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("position index: begin: %w", err)
	}
	defer tx.Rollback()
	if len(ps) > 0 {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO user_events (n, commit_pos, prepare_pos) VALUES (?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("position index: prepare: %w", err)
		}
		defer ins.Close()
		for i, p := range ps {
			if _, err := ins.ExecContext(ctx, int64(from)+int64(i)+1, int64(p.Commit), int64(p.Prepare)); err != nil {
				return fmt.Errorf("position index: number %d: %w", from+uint64(i)+1, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cursor (id, commit_pos, prepare_pos, first_id) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos,
			first_id = CASE WHEN excluded.first_id <> '' THEN excluded.first_id ELSE cursor.first_id END`,
		int64(cursor.Commit), int64(cursor.Prepare), firstID); err != nil {
		return fmt.Errorf("position index: move cursor: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("position index: commit: %w", err)
	}
	return nil
}

func (f *filePositions) reset(ctx context.Context) error {
	for _, q := range []string{`DELETE FROM user_events`, `DELETE FROM cursor`} {
		if _, err := f.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("position index: reset: %w", err)
		}
	}
	return nil
}

func (f *filePositions) close() error {
	f.atStmt.Close()
	f.findStm.Close()
	return f.db.Close()
}
