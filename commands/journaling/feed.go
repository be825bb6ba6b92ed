package journaling

import (
	"context"
	"errors"
	"fmt"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// feed holds the log's tail for the writer: the events after the cursor
// that it read and that are not journaled yet.
//
// A busy writer reads the log itself, one page per cycle (gather): one
// query for hundreds of events, where a subscription would run one for
// every commit of the store and hand each event over a channel. Only an
// idle writer subscribes (wait), to hear of the next event at once.
type feed struct {
	store  eventstore.Store
	cursor uint64  // journaled (committed) up to this position
	buf    []event // read, position > cursor, in log order
	last   uint64  // position of the last buffered event; cursor when none
	// partial: buf is one run whose rest has not arrived; gather takes
	// more than a batch rather than split it.
	partial bool
	// full: the last gather stopped at its limit, so more is likely ready.
	full bool
	// sub, while the writer waits for the log, feeds the events after last;
	// stop ends it. Both are nil when the writer does not wait.
	sub  eventstore.Subscription
	stop context.CancelFunc
	// reveal, when set, gives an event's metadata with its personal fields
	// decrypted (Config.RevealMetadata).
	reveal func(eventstore.RecordedEvent) []byte
}

// add buffers e unless it was buffered or journaled already.
func (f *feed) add(e eventstore.RecordedEvent) {
	if e.Position <= f.last {
		return
	}
	md := e.Metadata
	if f.reveal != nil {
		md = f.reveal(e)
	}
	f.buf = append(f.buf, event{RecordedEvent: e, md: decodeMetadata(md)})
	f.last = e.Position
}

// errFeedEnded: the subscription closed while the writer still ran.
var errFeedEnded = errors.New("journaling: subscription ended")

// gather reads the events after the buffered ones until limit events are
// buffered or the log is read to its end.
func (f *feed) gather(ctx context.Context, limit int) error {
	if f.partial {
		limit += len(f.buf)
	}
	f.full = false
	want := limit - len(f.buf)
	if want <= 0 {
		f.full = true
		return nil
	}
	evs, err := f.store.ReadAll(ctx, f.last, want)
	if err != nil {
		return fmt.Errorf("read the log after %d: %w", f.last, err)
	}
	for _, e := range evs {
		f.add(e)
	}
	f.full = len(evs) == want
	return nil
}

// unread reports whether the log holds events after the buffered ones.
func (f *feed) unread(ctx context.Context) (bool, error) {
	head, err := f.store.Head(ctx)
	if err != nil {
		return false, fmt.Errorf("read the log's head: %w", err)
	}
	return head > f.last, nil
}

// events returns the channel of a subscription to the events after the
// buffered ones, subscribing when the feed has none.
func (f *feed) events(ctx context.Context) (<-chan eventstore.RecordedEvent, error) {
	if f.sub == nil {
		sctx, cancel := context.WithCancel(ctx)
		sub, err := f.store.Subscribe(sctx, f.last)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("subscribe after %d: %w", f.last, err)
		}
		f.sub, f.stop = sub, cancel
	}
	return f.sub.Events(), nil
}

// unsubscribe ends the subscription, if any; what it read ahead is read
// again by gather.
func (f *feed) unsubscribe() {
	if f.stop != nil {
		f.stop()
		f.sub, f.stop = nil, nil
	}
}

// ended is the error of a subscription that closed while the writer ran.
func (f *feed) ended() error {
	err := f.sub.Err()
	f.unsubscribe()
	if err != nil {
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
