package readmodel

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// Prepared is one hot read-model query kept prepared: database/sql
// prepares it once on each pooled connection and reuses it, so SQLite
// parses the SQL once per connection instead of once per request, and
// PostgreSQL plans it once. It works on a pool (*sqldb.DB or *bun.DB); on
// anything else (a transaction) Stmt answers nil and the caller uses bun.
type Prepared struct {
	query string // with ? placeholders
	once  sync.Once
	stmt  *sql.Stmt
	err   error
	local bool // the pool is SQLite's: a file of this machine
}

// NewPrepared keeps query (placeholders written ?) for Stmt.
func NewPrepared(query string) *Prepared { return &Prepared{query: query} }

// Stmt is the prepared statement on db's pool, prepared at the first call.
func (p *Prepared) Stmt(ctx context.Context, db bun.IDB) (*sql.Stmt, error) {
	var pool *bun.DB
	switch d := db.(type) {
	case *sqldb.DB:
		pool = d.DB
	case *bun.DB:
		pool = d
	default:
		return nil, nil
	}
	p.once.Do(func() {
		q := p.query
		if pool.Dialect().Name() == dialect.PG {
			q = dollarPlaceholders(q)
		} else {
			p.local = true
		}
		p.stmt, p.err = pool.DB.PrepareContext(context.WithoutCancel(ctx), q)
	})
	return p.stmt, p.err
}

// ReadContext is the context to run the statement in, once Stmt has
// answered one: on SQLite ctx without its cancellation. A lookup by key in
// a local file takes microseconds and waits on no lock (WAL readers do not
// block), while a cancellable context costs more than that: database/sql
// starts a goroutine per Rows to watch it and the driver arms its
// interrupt. On PostgreSQL ctx stays as it is, so that a server that stops
// answering fails the request at its deadline.
func (p *Prepared) ReadContext(ctx context.Context) context.Context {
	if p.local {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// dollarPlaceholders turns ? into $1, $2 … (the query holds no ? in literals).
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ScanFirst scans the first row of rows into dest, sql.ErrNoRows when
// there is none. A sql.RawBytes in dest reads a column in place: it is
// valid until rows are closed, so the caller closes them after using it.
func ScanFirst(rows *sql.Rows, dest ...any) error {
	if rows.Next() {
		return rows.Scan(dest...)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return sql.ErrNoRows
}
