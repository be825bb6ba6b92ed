package schema

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// withLock runs f while this process alone migrates db.
func withLock(ctx context.Context, db *sqldb.DB, f func() error) error {
	if db.IsPostgres() {
		return withAdvisoryLock(ctx, db, f)
	}
	return withFileLock(ctx, db.DSN, f)
}

// withAdvisoryLock holds a session advisory lock, keyed by the current
// schema, on a connection of its own while f migrates through the pool;
// a process that dies holding it releases it with its session.
func withAdvisoryLock(ctx context.Context, db *sqldb.DB, f func() error) (err error) {
	conn, err := db.DB.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Close()
	const key = `hashtextextended('kabinet-schema:' || current_schema(), 0)`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		_, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`)
		if err == nil && uerr != nil {
			err = fmt.Errorf("migration unlock: %w", uerr)
		}
	}()
	return f()
}

// withFileLock holds an exclusive flock on <database>-migrate.lock while f
// migrates. (Not on the database file itself: closing any other
// descriptor of that file would drop SQLite's own POSIX locks.)
func withFileLock(ctx context.Context, path string, f func() error) error {
	if path == "" || path == ":memory:" {
		return f()
	}
	lf, err := os.OpenFile(path+"-migrate.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer lf.Close()
	for {
		err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migration lock: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	return f()
}
