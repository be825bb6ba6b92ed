package projections

import (
	"context"
	"sync"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// readAhead shares the live batches' reads among the projectors of a
// Runner. Each projector, handed event n, takes along the events committed
// after it (liveHandler). The projectors follow the log at their own pace,
// so they ask for the events after different n, within a few hundred events
// of each other: the events read last are kept, and an ask whose next event
// is among them is answered from them; only an ask past them reads the
// store, and asks for the same n within the same readAheadTTL window share
// that read. A batch holds committed events only, which never change, so a
// shared one is never wrong: at most shorter than a read now would be, and
// the events after it come as their own messages.
type readAhead struct {
	now   func() time.Time // nil: time.Now
	reads eventstore.SharedReads[aheadKey]

	mu     sync.Mutex
	recent []eventstore.RecordedEvent // the last events read, at consecutive positions
	at     time.Time                  // when recent last grew
}

// readAheadTTL is the window within which a read is shared: short, for a
// batch read longer ago falls short of what came since, and the projector
// then commits more, smaller batches.
const readAheadTTL = 5 * time.Millisecond

// Kept events answer for at most aheadKeepFor after the read that brought
// them, and at most aheadKept are kept.
const (
	aheadKeepFor = time.Second
	aheadKept    = 2048
)

// aheadKey is what a shared live batch answers.
type aheadKey struct {
	after  uint64
	limit  int
	window int64 // readAheadTTL windows since the epoch
}

// after returns up to limit events of store after position, shared with
// the other projectors' asks; callers must not change them.
func (ra *readAhead) after(ctx context.Context, store eventstore.Store, position uint64, limit int) ([]eventstore.RecordedEvent, error) {
	now := time.Now
	if ra.now != nil {
		now = ra.now
	}
	t := now()
	if evs := ra.kept(position, limit, t); len(evs) > 0 {
		return evs, nil
	}
	return ra.read(ctx, store, position, limit, t)
}

// read reads up to limit events after position from store, shared with the
// asks for the same in the same window, and keeps them.
func (ra *readAhead) read(ctx context.Context, store eventstore.Store, position uint64, limit int, t time.Time) ([]eventstore.RecordedEvent, error) {
	key := aheadKey{after: position, limit: limit, window: t.UnixNano() / int64(readAheadTTL)}
	return ra.reads.Read(ctx, key, func() ([]eventstore.RecordedEvent, error) {
		evs, err := store.ReadAll(ctx, position, limit)
		if err == nil {
			ra.keep(evs, t)
		}
		return evs, err
	})
}

// kept returns the kept events after position, up to limit: none unless
// the event right after position is among them.
func (ra *readAhead) kept(position uint64, limit int, now time.Time) []eventstore.RecordedEvent {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if len(ra.recent) == 0 || now.Sub(ra.at) >= aheadKeepFor {
		ra.recent = nil
		return nil
	}
	first := ra.recent[0].Position
	if position+1 < first || position+1 > first+uint64(len(ra.recent))-1 {
		return nil
	}
	i := int(position + 1 - first)
	end := min(len(ra.recent), i+limit)
	return ra.recent[i:end:end]
}

// keep adds the events a read returned to those kept: after them when they
// continue them, in their place when they do not.
func (ra *readAhead) keep(evs []eventstore.RecordedEvent, now time.Time) {
	if len(evs) == 0 {
		return
	}
	for i := range evs {
		if evs[i].Position != evs[0].Position+uint64(i) {
			return // not consecutive: not what kept answers from
		}
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	var last uint64
	if n := len(ra.recent); n > 0 {
		last = ra.recent[n-1].Position
	}
	switch {
	case len(ra.recent) > 0 && evs[0].Position <= last+1 && evs[0].Position >= ra.recent[0].Position:
		if end := evs[len(evs)-1].Position; end > last {
			ra.recent = append(ra.recent, evs[last+1-evs[0].Position:]...)
		}
	case evs[len(evs)-1].Position > last:
		ra.recent = append([]eventstore.RecordedEvent(nil), evs...)
	default:
		return // older than what is kept
	}
	if n := len(ra.recent); n > aheadKept {
		ra.recent = append([]eventstore.RecordedEvent(nil), ra.recent[n-aheadKept:]...)
	}
	ra.at = now
}
