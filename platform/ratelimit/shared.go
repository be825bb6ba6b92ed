package ratelimit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// Migrations are the shared buckets' table (PostgreSQL only), oldest first.
var Migrations = schema.Component{Name: "ratelimit", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS rate_limits (
		key    TEXT PRIMARY KEY,
		tokens DOUBLE PRECISION NOT NULL,
		at_us  BIGINT NOT NULL)`)},
}}

// Shared is a set of token buckets in PostgreSQL: every instance of the
// service takes its tokens from the same row per key, in one atomic
// statement, so N instances allow what one would. Times come from the
// instances' clocks (keep them synchronised); a clock behind the others
// never refills a bucket backwards.
type Shared struct {
	db     *sqldb.DB
	name   string
	perUS  float64 // tokens a microsecond
	burst  float64
	now    func() time.Time
	calls  atomic.Uint64
	refill time.Duration
}

// NewShared allows perMinute requests a minute per key with bursts of
// burst, in the buckets named name (limiters with other names never share
// a key with it). perMinute ≤ 0 disables it. now is the clock (nil:
// time.Now).
func NewShared(ctx context.Context, db *sqldb.DB, name string, perMinute, burst int, now func() time.Time) (*Shared, error) {
	if !db.IsPostgres() {
		return nil, errors.New("ratelimit: shared buckets need PostgreSQL")
	}
	if _, err := schema.Up(ctx, db, Migrations); err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	if burst < 1 {
		burst = 1
	}
	if now == nil {
		now = time.Now
	}
	s := &Shared{db: db, name: name, perUS: float64(perMinute) / 60e6, burst: float64(burst), now: now}
	if perMinute > 0 {
		s.refill = time.Duration(float64(burst) / s.perUS * float64(time.Microsecond))
	}
	return s, nil
}

// Enabled reports whether the limiter limits anything.
func (s *Shared) Enabled() bool { return s != nil && s.perUS > 0 }

// take refills the key's bucket for the time since its last use (never
// beyond burst) and takes one token, only if a whole one is there; a new
// key starts full. No row comes back when the bucket is short.
const take = `INSERT INTO rate_limits AS b (key, tokens, at_us) VALUES (?, ?::float8 - 1, ?)
	ON CONFLICT (key) DO UPDATE
	SET tokens = LEAST(?::float8, b.tokens + GREATEST(0, EXCLUDED.at_us - b.at_us) * ?::float8) - 1,
	    at_us = GREATEST(b.at_us, EXCLUDED.at_us)
	WHERE LEAST(?::float8, b.tokens + GREATEST(0, EXCLUDED.at_us - b.at_us) * ?::float8) >= 1
	RETURNING tokens`

// Take implements Taker.
func (s *Shared) Take(ctx context.Context, key string) (bool, time.Duration, error) {
	if !s.Enabled() {
		return true, 0, nil
	}
	key = s.name + ":" + key
	now := s.now().UnixMicro()
	if s.calls.Add(1)%1024 == 0 {
		s.sweep(ctx, now)
	}
	var left float64
	err := s.db.QueryRowContext(ctx, take, key, s.burst, now, s.burst, s.perUS, s.burst, s.perUS).Scan(&left)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("rate limit: take: %w", err)
	}
	var tokens float64
	var at int64
	if err := s.db.QueryRowContext(ctx, `SELECT tokens, at_us FROM rate_limits WHERE key = ?`, key).Scan(&tokens, &at); err != nil {
		return false, 0, fmt.Errorf("rate limit: read bucket: %w", err)
	}
	have := math.Min(s.burst, tokens+float64(max(0, now-at))*s.perUS)
	wait := time.Duration((1 - have) / s.perUS * float64(time.Microsecond))
	return false, max(wait, time.Microsecond), nil
}

// sweep forgets buckets idle long enough to be full again.
func (s *Shared) sweep(ctx context.Context, now int64) {
	_, _ = s.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE key LIKE ? AND at_us < ?`,
		s.name+":%", now-s.refill.Microseconds())
}
