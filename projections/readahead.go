package projections

import (
	"context"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// readAhead shares the live batches' reads among the projectors of a
// Runner. Each projector, handed event n, takes along the events committed
// after it (liveHandler), and the projectors are handed the same n at
// about the same time: the first to ask reads them from the store, and the
// others asking for the events after n within the same readAheadTTL window
// get the same ones. A batch holds committed events only, which never
// change, so a shared one is never wrong: at most shorter than a read now
// would be, and the events after it come as their own messages.
type readAhead struct {
	now   func() time.Time // nil: time.Now
	reads eventstore.SharedReads[aheadKey]
}

// readAheadTTL is the window within which a read is shared: short, for a
// batch read longer ago falls short of what came since, and the projector
// then commits more, smaller batches.
const readAheadTTL = 5 * time.Millisecond

// aheadKey is what a shared live batch answers.
type aheadKey struct {
	after  uint64
	limit  int
	window int64 // readAheadTTL windows since the epoch
}

// after returns up to limit events of store after position, shared with
// the other projectors' asks for the same; callers must not change them.
func (ra *readAhead) after(ctx context.Context, store eventstore.Store, position uint64, limit int) ([]eventstore.RecordedEvent, error) {
	now := time.Now
	if ra.now != nil {
		now = ra.now
	}
	key := aheadKey{after: position, limit: limit, window: now().UnixNano() / int64(readAheadTTL)}
	return ra.reads.Read(ctx, key, func() ([]eventstore.RecordedEvent, error) {
		return store.ReadAll(ctx, position, limit)
	})
}
