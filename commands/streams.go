package commands

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// streamCache keeps the events of the accounts' streams this process loaded
// or wrote lately, so that a command reads only the events after them
// (another instance's, or this one's of a command in between) instead of the
// whole stream. A stream's events never change once committed, so a cached
// prefix is never wrong, only short, and the read of the rest makes it
// whole. A closed account's stream is not kept, and none longer than
// streamTTL: the events hold personal data in the clear, and an erasure
// elsewhere must not leave them here longer than the keyring keeps the key.
type streamCache struct {
	now func() time.Time // nil: time.Now

	mu    sync.Mutex
	m     map[uuid.UUID]cachedStream
	bytes int
	swept time.Time // when expired streams were last let go
}

// streamTTL is how long a cached stream is used: the keyring's key cache
// time (pii.KeyCacheTTL).
const streamTTL = time.Minute

// streamCacheBytes bounds the payload bytes kept across all streams.
const streamCacheBytes = 16 << 20

// storedEvent is what folding a stream needs of one event.
type storedEvent struct {
	typ           string
	schemaVersion int
	data          []byte
}

type cachedStream struct {
	events []storedEvent // versions 0 … len-1
	bytes  int
	at     time.Time
}

func (c *streamCache) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// get returns the cached prefix of the account's stream (nil when none);
// callers must not change it.
func (c *streamCache) get(id uuid.UUID) []storedEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[id]
	if !ok {
		return nil
	}
	if c.clock().Sub(s.at) >= streamTTL {
		c.dropLocked(id, s)
		return nil
	}
	return s.events[:len(s.events):len(s.events)]
}

// put keeps events as the account's stream from version 0, unless a
// longer prefix is already kept.
func (c *streamCache) put(id uuid.UUID, events []storedEvent) {
	size := 0
	for _, e := range events {
		size += len(e.typ) + len(e.data)
	}
	if size > streamCacheBytes/16 {
		c.drop(id)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[uuid.UUID]cachedStream)
	}
	now := c.clock()
	if now.Sub(c.swept) >= streamTTL/4 {
		for id, s := range c.m {
			if now.Sub(s.at) >= streamTTL {
				c.dropLocked(id, s)
			}
		}
		c.swept = now
	}
	if old, ok := c.m[id]; ok {
		if len(old.events) > len(events) && now.Sub(old.at) < streamTTL {
			return
		}
		c.dropLocked(id, old)
	}
	for id, s := range c.m { // map order: an arbitrary stream makes room
		if c.bytes+size <= streamCacheBytes {
			break
		}
		c.dropLocked(id, s)
	}
	c.m[id] = cachedStream{events: events[:len(events):len(events)], bytes: size, at: now}
	c.bytes += size
}

// drop forgets the account's stream.
func (c *streamCache) drop(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[id]; ok {
		c.dropLocked(id, s)
	}
}

func (c *streamCache) dropLocked(id uuid.UUID, s cachedStream) {
	delete(c.m, id)
	c.bytes -= s.bytes
}
