package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
)

// limitedQuery is a read query prepared once per LIMIT it runs with. SQLite
// plans a statement whose LIMIT is a bound parameter with the value bound,
// and a new value makes its next step prepare it again; the log's readers
// each read with their own limit (a live batch, a feed's page, the journal
// writer's), so nearly every read parsed its query anew. The first
// maxLimits limits get a statement each with the limit written in; any
// other runs the statement that binds it.
type limitedQuery struct {
	db    *sql.DB
	base  string    // the query up to and with "LIMIT "
	bound *sql.Stmt // base and the limit as parameter n

	mu    sync.Mutex
	fixed map[int64]*sql.Stmt
}

// maxLimits bounds the statements one query keeps.
const maxLimits = 8

// prepareLimited prepares base with its limit as parameter n.
func prepareLimited(ctx context.Context, db *sql.DB, base string, n int) (*limitedQuery, error) {
	st, err := db.PrepareContext(ctx, base+"$"+strconv.Itoa(n))
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", firstLine(base), err)
	}
	return &limitedQuery{db: db, base: base, bound: st, fixed: make(map[int64]*sql.Stmt)}, nil
}

// query runs the query with args and limit.
func (q *limitedQuery) query(ctx context.Context, limit int64, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, limit); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.bound.QueryContext(ctx, append(args, limit)...)
}

// stmt is the statement with limit written in, prepared on first use; nil
// once maxLimits are kept, or when preparing it failed.
func (q *limitedQuery) stmt(ctx context.Context, limit int64) *sql.Stmt {
	q.mu.Lock()
	defer q.mu.Unlock()
	if st, ok := q.fixed[limit]; ok {
		return st
	}
	if len(q.fixed) >= maxLimits {
		return nil
	}
	st, err := q.db.PrepareContext(context.WithoutCancel(ctx), q.base+strconv.FormatInt(limit, 10))
	if err != nil {
		return nil // the bound statement answers, and reports what is wrong
	}
	q.fixed[limit] = st
	return st
}

func (q *limitedQuery) close() {
	if q == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, st := range q.fixed {
		st.Close()
	}
	q.bound.Close()
}
