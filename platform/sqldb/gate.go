package sqldb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// ErrWriteBusy is returned when a write waited longer than the busy timeout
// for another write on the same SQLite file; it matches ErrUnavailable.
var ErrWriteBusy = fmt.Errorf("sqlite file busy: %w", ErrUnavailable)

// writeGate admits one write at a time to one SQLite file, for every pool
// of this process that opens the file. SQLite admits one writer per file
// too, but a writer that finds the file locked sleeps in the busy handler
// on a fixed schedule (1, 2, 5 … 100 ms) however soon the lock is released;
// waiting here instead wakes the next writer the moment the last one ends,
// in arrival order. Writers of other processes still meet SQLite's lock.
type writeGate struct {
	slot chan struct{}
	wait time.Duration // the longest a write waits: the file's busy timeout
}

var gates sync.Map // absolute path → *writeGate

// gateFor is the gate of the SQLite file at path, shared by all its pools.
func gateFor(path string, wait time.Duration) *writeGate {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	g, _ := gates.LoadOrStore(path, &writeGate{slot: make(chan struct{}, 1), wait: wait})
	return g.(*writeGate)
}

// enter waits for the gate; the caller must call leave once.
func (g *writeGate) enter(ctx context.Context) error {
	select {
	case g.slot <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ErrWriteBusy
	}
}

func (g *writeGate) leave() { <-g.slot }

// gatedConnector opens modernc SQLite connections whose writes pass the
// file's gate.
type gatedConnector struct {
	inner driver.Connector
	gate  *writeGate
}

func newGatedConnector(dsn, path string, wait time.Duration) (driver.Connector, error) {
	inner, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &gatedConnector{inner: inner, gate: gateFor(path, wait)}, nil
}

func (c *gatedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: conn, gate: c.gate}, nil
}

func (c *gatedConnector) Driver() driver.Driver { return c.inner.Driver() }

// innerConn is what the modernc connection implements beyond driver.Conn.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// gatedConn is one connection. A transaction holds the gate from BEGIN
// (IMMEDIATE: it takes SQLite's write lock at once) to its end; a statement
// outside a transaction holds it while it runs if it may write. database/sql
// uses a connection from one goroutine at a time, so inTx needs no lock.
type gatedConn struct {
	driver.Conn
	gate *writeGate
	inTx bool
}

func (c *gatedConn) inner() innerConn { return c.Conn.(innerConn) }

func (c *gatedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *gatedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.gate.enter(ctx); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	tx, err := c.inner().BeginTx(ctx, opts)
	if err != nil {
		c.gate.leave()
		return nil, err
	}
	c.inTx = true
	return &gatedTx{Tx: tx, conn: c}, nil
}

func (c *gatedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *gatedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &gatedStmt{Stmt: st, conn: c, writes: mayWrite(query)}, nil
}

// admit passes the gate for a statement that may write outside a
// transaction; leave is nil when nothing was taken.
func (c *gatedConn) admit(ctx context.Context, writes bool) (leave func(), err error) {
	if c.inTx || !writes {
		return nil, nil
	}
	if err := c.gate.enter(ctx); err != nil {
		return nil, err
	}
	return c.gate.leave, nil
}

func (c *gatedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	leave, err := c.admit(ctx, mayWrite(query))
	if err != nil {
		return nil, err
	}
	if leave != nil {
		defer leave()
	}
	return c.inner().ExecContext(ctx, query, args)
}

func (c *gatedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	leave, err := c.admit(ctx, mayWrite(query))
	if err != nil {
		return nil, err
	}
	rows, err := c.inner().QueryContext(ctx, query, args)
	return heldRows(rows, err, leave)
}

// Close leaves the gate if the connection closes inside a transaction:
// closing ends the transaction and SQLite's lock with it.
func (c *gatedConn) Close() error {
	err := c.Conn.Close()
	if c.inTx {
		c.inTx = false
		c.gate.leave()
	}
	return err
}

func (c *gatedConn) Ping(ctx context.Context) error { return c.inner().Ping(ctx) }

func (c *gatedConn) ResetSession(ctx context.Context) error { return c.inner().ResetSession(ctx) }

func (c *gatedConn) IsValid() bool { return c.inner().IsValid() }

// gatedTx leaves the gate when the transaction ends, however it ends.
type gatedTx struct {
	driver.Tx
	conn *gatedConn
}

func (t *gatedTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

func (t *gatedTx) end() {
	if t.conn != nil && t.conn.inTx {
		t.conn.inTx = false
		t.conn.gate.leave()
		t.conn = nil
	}
}

// gatedStmt is a prepared statement; run outside a transaction, one that
// may write passes the gate.
type gatedStmt struct {
	driver.Stmt
	conn   *gatedConn
	writes bool
}

func (s *gatedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	leave, err := s.conn.admit(ctx, s.writes)
	if err != nil {
		return nil, err
	}
	if leave != nil {
		defer leave()
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *gatedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	leave, err := s.conn.admit(ctx, s.writes)
	if err != nil {
		return nil, err
	}
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	return heldRows(rows, err, leave)
}

// heldRows keeps the gate, if taken, until the rows are closed: a writing
// statement that returns rows (INSERT … RETURNING) holds SQLite's lock
// until then.
func heldRows(rows driver.Rows, err error, leave func()) (driver.Rows, error) {
	if leave == nil {
		return rows, err
	}
	if err != nil {
		leave()
		return nil, err
	}
	return &gatedRows{Rows: rows, leave: leave}, nil
}

// gatedRows leaves the gate on Close. The column-type methods database/sql
// asks the modernc rows for pass through.
type gatedRows struct {
	driver.Rows
	leave func()
}

func (r *gatedRows) Close() error {
	err := r.Rows.Close()
	if r.leave != nil {
		r.leave()
		r.leave = nil
	}
	return err
}

func (r *gatedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

// mayWrite reports whether a statement may write: anything but a plain
// SELECT, a VALUES list, EXPLAIN, or a WITH that names no writing keyword.
// A false "yes" only serialises a read.
func mayWrite(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	word := q
	if i := strings.IndexAny(q, " \t\r\n("); i >= 0 {
		word = q[:i]
	}
	switch strings.ToLower(word) {
	case "select", "values", "explain":
		return false
	case "with":
		u := strings.ToUpper(q)
		return strings.Contains(u, "INSERT") || strings.Contains(u, "UPDATE") || strings.Contains(u, "DELETE") || strings.Contains(u, "REPLACE")
	}
	return true
}
