package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Retry sends through Next up to Attempts times, pausing Backoff, then
// twice as long each time (at most MaxBackoff), and stops early on a
// Permanent failure. A notification that no attempt delivered goes to
// DeadLetters and Notify returns an error wrapping ErrDeadLettered.
type Retry struct {
	Next        Notifier
	Attempts    int           // ≥ 1 (default 3)
	Backoff     time.Duration // first pause (default 200 ms)
	MaxBackoff  time.Duration // longest pause (default 5 s)
	DeadLetters *DeadLetters
	Logger      *slog.Logger
	// Sleep waits d or until ctx ends (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Notify implements Notifier.
func (r *Retry) Notify(ctx context.Context, n Notification) error {
	attempts, pause, most := r.Attempts, r.Backoff, r.MaxBackoff
	if attempts < 1 {
		attempts = 3
	}
	if pause <= 0 {
		pause = 200 * time.Millisecond
	}
	if most <= 0 {
		most = 5 * time.Second
	}
	sleep := r.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var err error
	tried := 0
	for tried < attempts {
		tried++
		if err = r.Next.Notify(ctx, n); err == nil {
			return nil
		}
		if IsPermanent(err) || tried == attempts {
			break
		}
		if serr := sleep(ctx, pause); serr != nil {
			return fmt.Errorf("deliver %s by %s: %w (then %w)", n.Kind, n.Channel, err, serr)
		}
		pause = min(2*pause, most)
	}
	if r.Logger != nil {
		r.Logger.Warn("delivery failed; dead-lettered", "channel", n.Channel, "kind", n.Kind, "attempts", tried, "err", err)
	}
	if r.DeadLetters != nil {
		if derr := r.DeadLetters.Add(ctx, n, tried, err); derr != nil {
			return fmt.Errorf("deliver %s by %s: %w; keeping the dead letter: %w", n.Kind, n.Channel, err, derr)
		}
	}
	return fmt.Errorf("deliver %s by %s after %d attempts: %w: %w", n.Kind, n.Channel, tried, ErrDeadLettered, err)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
