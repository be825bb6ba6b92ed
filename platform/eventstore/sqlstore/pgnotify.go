package sqlstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenPG wakes this store's subscriptions when any process commits to the
// same PostgreSQL schema: it holds a dedicated connection (LISTEN needs one
// session for as long as it listens, so not one from the pool) and turns
// each notification into a broadcast. It reconnects with backoff; whatever
// it misses meanwhile, the wake after reconnecting and the safety poll make
// up for.
func (s *Store) listenPG() {
	defer s.bg.Done()
	ctx := s.life
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if listened := s.listenOnce(ctx); listened {
			backoff = 100 * time.Millisecond
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce listens on one connection until it fails or ctx ends, and
// reports whether it got as far as listening.
func (s *Store) listenOnce(ctx context.Context) bool {
	conn, err := pgx.Connect(ctx, s.db.DSN)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.opts.NotifyChannel}.Sanitize()); err != nil {
		return false
	}
	s.wake.notify() // commits while we were not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true
		}
		s.wake.notify()
	}
}
