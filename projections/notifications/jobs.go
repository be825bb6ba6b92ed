package notifications

import (
	"context"
	"time"
)

// Job is a periodic piece of Outbox work for the durable scheduler
// (commands/scheduler.Job): idempotent, so a repeated or concurrent pass
// changes nothing twice.
type Job struct {
	name string
	run  func(ctx context.Context, now time.Time) error
}

// Name is the job's stable name.
func (j Job) Name() string { return j.name }

// Run does the job as of now.
func (j Job) Run(ctx context.Context, now time.Time) error { return j.run(ctx, now) }

// DigestJob sends the daily and weekly digests that are due at now.
func (o *Outbox) DigestJob() Job {
	return Job{name: "notification-digests", run: func(ctx context.Context, now time.Time) error {
		_, err := o.SendDigests(ctx, now)
		return err
	}}
}

// DeliveryJob delivers what is pending, as a safety net behind Run: with
// only the scheduler, immediate notifications leave within one pass.
func (o *Outbox) DeliveryJob() Job {
	return Job{name: "notification-delivery", run: func(ctx context.Context, _ time.Time) error {
		_, err := o.DeliverPending(ctx)
		return err
	}}
}
