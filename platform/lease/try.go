package lease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// ErrHeld is returned by Try when another holder has the lease.
var ErrHeld = errors.New("lease held by another process")

// Try takes the lease name at once or returns ErrHeld; release gives it
// back. An operator tool takes the lease this way so it never works beside
// a running server (projections rebuild).
func Try(ctx context.Context, db *sqldb.DB, name string) (release func(), err error) {
	if !db.IsPostgres() {
		f, err := lockFile(db, name, false)
		if err != nil {
			return nil, err
		}
		return func() { f.Close() }, nil
	}
	conn, err := db.DB.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", Key(name)).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("lease %s: %w", name, ErrHeld)
	}
	return func() { conn.Close() }, nil
}

// lockFile takes an exclusive flock on a file beside the SQLite database
// (processes sharing one SQLite file share one host), waiting for it when
// wait is set; closing the file releases it, as does the holder's death.
func lockFile(db *sqldb.DB, name string, wait bool) (*os.File, error) {
	f, err := os.OpenFile(db.DSN+".lease-"+fileSafe(name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lease %s: %w", name, ErrHeld)
		}
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	return f, nil
}

// fileSafe maps a lease name to a file name: characters other than
// letters, digits, '.', '_' and '-' become '_'.
func fileSafe(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, name)
}
