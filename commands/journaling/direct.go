package journaling

import (
	"errors"
	"sync"

	"github.com/kabinet/kabinet/platform/journal"
)

// direct hands Records of this process straight to its running writer:
// while the writer follows the log (after its catch-up), RecordAll queues
// the entries here and waits for the cycle that appends them, so an entry
// is durable in the journal itself when it returns, with one commit shared
// by everything the cycle took, and no inbox row is written, read and
// deleted for it. When no writer of this process is live (another process
// holds the lease, or the writer is starting over) and when a cycle fails,
// Records go to the inbox as before.
type direct struct {
	mu      sync.Mutex
	live    bool
	waiting []directWait  // each with at least one entry
	hurry   chan struct{} // told of every offer (capacity 1): the writer's pause ends
}

func newDirect() direct { return direct{hurry: make(chan struct{}, 1)} }

type directWait struct {
	entries []journal.Entry
	done    chan error
}

// errNotLive answers the waiters a writer leaves behind when it stops.
var errNotLive = errors.New("journaling: the writer stopped before journaling the entries")

// offer queues entries (at least one) for the live writer and returns the
// channel its cycle answers on; false when no writer is live.
func (d *direct) offer(entries []journal.Entry) (<-chan error, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.live {
		return nil, false
	}
	done := make(chan error, 1)
	d.waiting = append(d.waiting, directWait{entries: entries, done: done})
	select {
	case d.hurry <- struct{}{}:
	default:
	}
	return done, true
}

// setLive marks the writer live or not; going down answers every waiter
// with errNotLive, so it falls back to the inbox.
func (d *direct) setLive(live bool) {
	d.mu.Lock()
	d.live = live
	var left []directWait
	if !live {
		left, d.waiting = d.waiting, nil
	}
	d.mu.Unlock()
	for _, w := range left {
		w.done <- errNotLive
	}
}

// take removes the waiters whose entries fit in limit (at least one).
func (d *direct) take(limit int) []directWait {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, k := 0, 0
	for k < len(d.waiting) && (k == 0 || n+len(d.waiting[k].entries) <= limit) {
		n += len(d.waiting[k].entries)
		k++
	}
	out := d.waiting[:k:k]
	d.waiting = d.waiting[k:]
	return out
}

// pending reports whether entries are waiting.
func (d *direct) pending() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.waiting) > 0
}

// answer tells each waiter how its cycle ended.
func answer(ws []directWait, err error) {
	for _, w := range ws {
		w.done <- err
	}
}
