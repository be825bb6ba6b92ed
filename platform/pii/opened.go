package pii

import (
	"bytes"
	"sync"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// openedEvents remembers the last events Reveal opened, so that the many
// readers of one event (each subscription's feed, the projectors' read-ahead,
// the next command's load of its stream) open it once. An entry answers only
// the same stored bytes of the same event, and only while the key that opened
// them is still the keyring's current key of the account: an erasure, a
// Forget or the key cache's expiry (KeyCacheTTL) ends every entry of that
// account, as it ends the key.
type openedEvents struct {
	mu    sync.Mutex
	ring  [openedLimit]openedEvent
	next  int
	index map[uuid.UUID]int // event id → its slot in ring
}

// openedLimit is how many opened events are kept: a few seconds of a busy
// log, which is when its readers come.
const openedLimit = 2048

// openedEvent is one event's data and metadata as stored and as opened,
// with the key that opened them.
type openedEvent struct {
	key                        *dataKey
	id                         uuid.UUID
	position                   uint64
	stream                     string
	sealedData, sealedMeta     []byte
	data, metadata             []byte
	erasedData, erasedMetadata []string
}

// get returns the opened form of rec if rec was opened under key.
func (o *openedEvents) get(rec eventstore.RecordedEvent, key *dataKey) (openedEvent, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	i, ok := o.index[rec.ID]
	if !ok {
		return openedEvent{}, false
	}
	e := o.ring[i]
	if e.key != key || e.position != rec.Position || e.stream != rec.StreamID ||
		!bytes.Equal(e.sealedData, rec.Data) || !bytes.Equal(e.sealedMeta, rec.Metadata) {
		return openedEvent{}, false
	}
	return e, true
}

// put remembers e, in place of the oldest entry once the ring is full.
func (o *openedEvents) put(e openedEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.index == nil {
		o.index = make(map[uuid.UUID]int, openedLimit)
	}
	if i, ok := o.index[e.id]; ok {
		o.ring[i] = e
		return
	}
	if old := o.ring[o.next]; old.key != nil {
		delete(o.index, old.id)
	}
	o.ring[o.next] = e
	o.index[e.id] = o.next
	o.next = (o.next + 1) % openedLimit
}
