// Package lease makes a piece of work run on exactly one instance at a time:
// on PostgreSQL through a session advisory lock held on a dedicated
// connection (released by the server if the holder dies), on SQLite through
// an exclusive flock on a file beside the database (one host by construction).
package lease

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// Options tune how a lease is taken and watched.
type Options struct {
	// Retry is the pause between attempts to take a held lease (default 1s).
	Retry time.Duration
	// Check is how often the holder checks its connection (default 1s).
	Check time.Duration
	// Logger is told when the lease is taken and lost.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.Check <= 0 {
		o.Check = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Key is the advisory lock key of a lease name.
func Key(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("kabinet-lease:" + name))
	return int64(h.Sum64())
}

// Run runs work while holding the lease name, until ctx ends. If the lease
// is lost (the connection holding it broke), work's context is cancelled
// and Run tries to take the lease again; if work fails (its store went
// away, say), Run lets the lease go, waits with exponential backoff and
// tries again, so the work resumes by itself when the store returns. Work
// must therefore be resumable (projections and the journal writer resume
// from their checkpoints). A new holder waits 2.5×Check before it starts,
// the time a holder whose session died needs to notice; the workers guarded
// here are also safe if two ever overlap (idempotent projectors,
// compare-and-set cursors).
func Run(ctx context.Context, db *sqldb.DB, name string, opts Options, work func(ctx context.Context) error) error {
	opts = opts.withDefaults()
	b := backoff{min: opts.Retry, max: MaxBackoff}
	for ctx.Err() == nil {
		started := time.Now()
		err := runOnce(ctx, db, name, opts, work)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			if !db.IsPostgres() {
				return nil // the work is done; on PostgreSQL only a lost lease ends it early
			}
			opts.Logger.Warn("lease lost; trying to take it again", "lease", name)
			continue
		}
		wait := b.next(time.Since(started))
		opts.Logger.Error("leased work failed; retrying", "lease", name, "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
	return nil
}

// MaxBackoff bounds the wait between two tries of failed leased work.
const MaxBackoff = 30 * time.Second

// backoff doubles the wait after each failure, from min to max, and starts
// again from min after work that ran for longer than max.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next(ran time.Duration) time.Duration {
	if b.cur == 0 || ran > b.max {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur
}

// runOnce takes the lease (on SQLite its lock file), runs work under it
// and returns when work ends or the lease is lost (nil).
func runOnce(ctx context.Context, db *sqldb.DB, name string, opts Options, work func(ctx context.Context) error) error {
	if !db.IsPostgres() {
		return runSQLite(ctx, db, name, opts, work)
	}
	conn, err := acquire(ctx, db, name, opts)
	if err != nil {
		return nil // only when ctx ended
	}
	defer conn.Close() // a closed session releases its advisory locks
	// A holder whose session died notices within 2×Check (a ping every
	// Check, each bounded by Check) and stops; start after that, so two
	// instances do not work at once in the common case.
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(2*opts.Check + opts.Check/2):
	}
	opts.Logger.Info("lease taken", "lease", name)
	return hold(ctx, conn, name, opts, work)
}

// runSQLite runs work under the database's lock file, waiting (Retry
// apart) while another process holds it.
func runSQLite(ctx context.Context, db *sqldb.DB, name string, opts Options, work func(ctx context.Context) error) error {
	for {
		f, err := lockFile(db, name, false)
		if err == nil {
			defer f.Close()
			return work(ctx)
		}
		if !errors.Is(err, ErrHeld) {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(opts.Retry):
		}
	}
}

// acquire blocks until this process holds the lock, on its own connection.
func acquire(ctx context.Context, db *sqldb.DB, name string, opts Options) (*sql.Conn, error) {
	for {
		conn, err := db.DB.DB.Conn(ctx)
		if err == nil {
			var ok bool
			err = conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", Key(name)).Scan(&ok)
			if err == nil && ok {
				return conn, nil
			}
			conn.Close()
		}
		if err != nil && ctx.Err() == nil {
			opts.Logger.Warn("lease attempt failed", "lease", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(opts.Retry):
		}
	}
}

// hold runs work and cancels it as soon as the lock's connection fails.
func hold(ctx context.Context, conn *sql.Conn, name string, opts Options, work func(ctx context.Context) error) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- work(wctx) }()
	t := time.NewTicker(opts.Check)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("lease %s: %w", name, err)
			}
			return nil
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, opts.Check)
			err := conn.PingContext(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				cancel()
				<-done
				return nil
			}
		}
	}
}
