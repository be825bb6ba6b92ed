// Package delivery carries notifications to people: the Notifier port the
// write side and the notifications projection send through, an SMTP relay for
// email, a signed JSON webhook to an SMS gateway, and the file outbox for
// everything else, each send retried with exponential backoff and, when
// every attempt failed, kept in a dead-letter list in the read store.
package delivery

import (
	"context"
	"errors"
	"fmt"
)

// ErrDeadLettered wraps the error of a notification that every attempt
// failed to deliver and that is now in the dead-letter list.
var ErrDeadLettered = errors.New("notification dead-lettered")

// permanent marks a failure that another attempt cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one no retry can fix (a rejected recipient, a
// refused request), so Retry dead-letters at once.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// ByChannel sends each notification through the notifier of its channel
// (email, sms, …), or Default when its channel has none.
type ByChannel struct {
	Channels map[string]Notifier
	Default  Notifier
}

// Notify implements Notifier.
func (b ByChannel) Notify(ctx context.Context, n Notification) error {
	if x, ok := b.Channels[n.Channel]; ok {
		return x.Notify(ctx, n)
	}
	if b.Default == nil {
		return Permanent(fmt.Errorf("no delivery for channel %q", n.Channel))
	}
	return b.Default.Notify(ctx, n)
}
