package scheduler

import (
	"context"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// Lease makes a scheduler pass exclusive. TryAcquire does not wait: ok is
// false when someone else holds the lease. release gives it back.
type Lease interface {
	TryAcquire(ctx context.Context) (release func(), ok bool, err error)
}

// NewLease returns the lease fitting db: a PostgreSQL advisory lock named
// name, or an in-process lock for SQLite (one process owns the file).
func NewLease(db *sqldb.DB, name string) Lease {
	if db.IsPostgres() {
		return &PGLease{db: db, key: lockKey(name)}
	}
	return NewLocalLease()
}

// LocalLease is an in-process lease.
type LocalLease struct{ mu sync.Mutex }

// NewLocalLease returns a free in-process lease.
func NewLocalLease() *LocalLease { return &LocalLease{} }

// TryAcquire implements Lease.
func (l *LocalLease) TryAcquire(context.Context) (func(), bool, error) {
	if !l.mu.TryLock() {
		return nil, false, nil
	}
	return l.mu.Unlock, true, nil
}

// PGLease is a session-level PostgreSQL advisory lock held on a dedicated
// connection for as long as the lease is held. If the holder dies, its
// session ends and the server frees the lock.
type PGLease struct {
	db  *sqldb.DB
	key int64
}

// TryAcquire implements Lease with pg_try_advisory_lock.
func (l *PGLease) TryAcquire(ctx context.Context) (func(), bool, error) {
	conn, err := l.db.DB.DB.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("scheduler lease: connect: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", l.key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("scheduler lease: lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	release := func() {
		// Unlock before handing the connection back to the pool: a pooled
		// session must not keep the lock. Should the unlock fail, closing
		// the connection ends the session, and the lock with it.
		if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", l.key); err != nil {
			// ErrBadConn from Raw makes Close discard the connection.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}
	return release, true, nil
}

// lockKey maps a lease name to an advisory-lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("kabinet-scheduler:" + name))
	return int64(h.Sum64())
}
