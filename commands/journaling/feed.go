package journaling

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// feed holds the store's live tail for the writer: the events after the
// cursor that the subscription delivered and that are not journaled yet.
type feed struct {
	store  eventstore.Store
	sub    eventstore.Subscription
	cursor uint64  // journaled (committed) up to this position
	buf    []event // received, position > cursor, in log order
	last   uint64  // position of the last buffered event; cursor when none
	// partial: buf is one run whose rest has not arrived; gather takes
	// more than a batch rather than split it.
	partial bool
	// full: the last gather stopped at its limit, so more is likely ready.
	full bool
}

// add buffers e unless it was buffered or journaled already.
func (f *feed) add(e eventstore.RecordedEvent) {
	if e.Position <= f.last {
		return
	}
	f.buf = append(f.buf, event{RecordedEvent: e, md: decodeMetadata(e.Metadata)})
	f.last = e.Position
}

// errFeedEnded: the subscription closed while the writer still ran.
var errFeedEnded = errors.New("journaling: subscription ended")

// backlog reports whether the subscription has at least half its buffer
// ready: it is reading ahead of the writer, which is behind.
func (f *feed) backlog() bool {
	ch := f.sub.Events()
	return cap(ch) > 0 && 2*len(ch) >= cap(ch)
}

// gather takes what the subscription has ready until limit events are
// buffered. When it runs dry it waits up to quiet for the next event (the
// subscription may be reading its next page), or up to slow when the
// subscription has a backlog (pages keep coming, each a query away).
func (f *feed) gather(ctx context.Context, limit int, quiet, slow time.Duration) error {
	if f.partial {
		limit += len(f.buf)
	}
	if f.backlog() {
		quiet = slow
	}
	f.full = false
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for len(f.buf) < limit {
		select {
		case e, ok := <-f.sub.Events():
			if !ok {
				return f.ended()
			}
			f.add(e)
			continue
		default:
		}
		if quiet <= 0 {
			return nil
		}
		if timer == nil {
			timer = time.NewTimer(quiet)
		} else {
			timer.Reset(quiet)
		}
		select {
		case e, ok := <-f.sub.Events():
			if !ok {
				return f.ended()
			}
			f.add(e)
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
	f.full = true
	return nil
}

func (f *feed) ended() error {
	if err := f.sub.Err(); err != nil {
		return fmt.Errorf("%w: %w", errFeedEnded, err)
	}
	return errFeedEnded
}

// ready returns how many buffered events form complete runs (see
// groupEnds). The last run is complete unless the log's next event, which
// may not have been delivered yet, continues it: an append is atomic, so
// a run the log does not continue is whole.
func (f *feed) ready(ctx context.Context) (int, error) {
	f.partial = false
	n := len(f.buf)
	if n == 0 || !f.buf[n-1].md.ours() {
		return n, nil
	}
	next, err := f.store.ReadAll(ctx, f.last, 1)
	if err != nil {
		return 0, fmt.Errorf("read the event after %d: %w", f.last, err)
	}
	if len(next) == 0 {
		return n, nil
	}
	ne := event{RecordedEvent: next[0], md: decodeMetadata(next[0].Metadata)}
	if !sameCommand(&f.buf[n-1], &ne) {
		return n, nil
	}
	ends := groupEnds(f.buf)
	if len(ends) == 1 {
		f.partial = true
		return 0, nil
	}
	return ends[len(ends)-2], nil
}

// consume drops the first n buffered events, now journaled.
func (f *feed) consume(n int) {
	if n == 0 {
		return
	}
	f.cursor = f.buf[n-1].Position
	rest := copy(f.buf, f.buf[n:])
	clear(f.buf[rest:])
	f.buf = f.buf[:rest]
}
