package eventstore

import (
	"context"
	"sync"
)

// SharedReads lets readers that ask the log the same question at about the
// same time share one read: the first to ask a key reads, and the others
// asking it get that read's events, waiting for it if it is still running.
// The key says when two asks are the same (a position, a limit and what
// makes a read still good for the asker). Only the latest SharedKeep reads
// are kept. The events are shared: callers must not change them.
type SharedReads[K comparable] struct {
	mu   sync.Mutex
	ring [SharedKeep]*sharedRead[K]
	next int
}

// SharedKeep is how many reads a SharedReads keeps.
const SharedKeep = 8

type sharedRead[K comparable] struct {
	key    K
	done   chan struct{} // closed once events and err are final
	events []RecordedEvent
	err    error
}

// Read answers key with a kept read, or with read, which it keeps. If the
// kept read failed, the asker reads alone: a failure (of that reader's
// context, say) is not shared.
func (s *SharedReads[K]) Read(ctx context.Context, key K, read func() ([]RecordedEvent, error)) ([]RecordedEvent, error) {
	s.mu.Lock()
	var kept *sharedRead[K]
	for _, r := range s.ring {
		if r != nil && r.key == key {
			kept = r
			break
		}
	}
	if kept == nil {
		mine := &sharedRead[K]{key: key, done: make(chan struct{})}
		s.ring[s.next] = mine
		s.next = (s.next + 1) % SharedKeep
		s.mu.Unlock()
		mine.events, mine.err = read()
		close(mine.done)
		return mine.events, mine.err
	}
	s.mu.Unlock()
	select {
	case <-kept.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if kept.err != nil {
		return read()
	}
	return kept.events, nil
}
