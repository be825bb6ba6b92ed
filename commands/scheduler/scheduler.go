// Package scheduler runs Kabinet's periodic jobs (document expiry first)
// durably and once across instances.
//
// Durable: a job keeps no state in memory between runs. Each run derives
// what is due from durable state — its own small tables in the read
// database, fed from the event store's global log behind a checkpoint
// committed with them — and acts through idempotent commands. A crash at
// any point is repaired by the next run: a command that did run records
// nothing a second time, a row not yet marked done is simply due again,
// and an index page not yet committed is read again from the checkpoint.
//
// Once across instances: the service runs Scheduler.Run under
// platform/lease ("scheduler"): on PostgreSQL a pg_try_advisory_lock held
// on a dedicated connection (the server frees it if the holder dies, and
// another worker takes over); on SQLite, one process by construction, at
// once. Within the process a pass never overlaps another (a pass still
// running makes the next one skip). The lease saves work, not
// correctness: jobs stay idempotent, so two passes at once would only
// repeat reads.
package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Job is one periodic, idempotent piece of work. Run derives what is due
// at now from durable state and does it; running it twice at the same now
// changes nothing the second time.
type Job interface {
	Name() string
	Run(ctx context.Context, now time.Time) error
}

// Options configure a Scheduler.
type Options struct {
	// Interval between passes (default DefaultInterval).
	Interval time.Duration
	// Clock tells the time of a pass (default time.Now); tests move it, or
	// call RunAt.
	Clock func() time.Time
	// Logger receives job failures (default slog.Default()).
	Logger *slog.Logger
}

// DefaultInterval is the time between passes: jobs work in Moscow days,
// so a minute is prompt enough and cheap (a pass reads only new events).
const DefaultInterval = time.Minute

// Scheduler runs its jobs on a ticker, one pass at a time.
type Scheduler struct {
	jobs     []Job
	interval time.Duration
	clock    func() time.Time
	logger   *slog.Logger
	pass     sync.Mutex // held for the length of a pass
}

// New builds a scheduler of jobs.
func New(opts Options, jobs ...Job) *Scheduler {
	s := &Scheduler{jobs: jobs, interval: opts.Interval, clock: opts.Clock, logger: opts.Logger}
	if s.interval <= 0 {
		s.interval = DefaultInterval
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s
}

// Run makes a pass at once and then every interval until ctx ends; a
// failing job is logged and tried again at the next pass. It returns nil
// when ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("scheduler pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce makes one pass at the clock's time.
func (s *Scheduler) RunOnce(ctx context.Context) error { return s.RunAt(ctx, s.clock()) }

// RunAt makes one pass as if it were now: every job in turn. A pass
// already running in this process makes it skip, with no error. It
// returns the jobs' failures joined; one failing job does not stop the
// others.
func (s *Scheduler) RunAt(ctx context.Context, now time.Time) error {
	if !s.pass.TryLock() {
		return nil
	}
	defer s.pass.Unlock()
	var errs []error
	for _, j := range s.jobs {
		if err := j.Run(ctx, now); err != nil {
			s.logger.Error("scheduled job failed", "job", j.Name(), "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
