package kurrent

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// scanFunc reads $all forward from just after from (from the start when
// start is true), calling visit for every record in order until visit
// returns false or the end of the log. It is Store.scanAll.
type scanFunc func(ctx context.Context, from esdb.Position, start bool, visit func(*esdb.RecordedEvent) bool) error

// index maps the adapter's global positions to KurrentDB's: pos[n-1] is
// the $all position of the nth user event (isUserEvent) in $all order.
//
// It is derived only from the server's log, so every process that indexes
// the same log assigns the same numbers. It grows by reading the tail of
// $all after cursor, the last record seen (user or system); one sync runs
// at a time and callers that wait for it find their answer when it ends.
type index struct {
	scan   scanFunc
	syncMu sync.Mutex // held while reading the tail

	mu      sync.RWMutex
	pos     []esdb.Position
	cursor  esdb.Position
	started bool // cursor is set: something was read
}

func newIndex(scan scanFunc) *index { return &index{scan: scan} }

// sync reads $all from the cursor to its current end and returns the
// number of user events indexed (the head).
func (x *index) sync(ctx context.Context) (uint64, error) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	x.mu.RLock()
	from, started := x.cursor, x.started
	x.mu.RUnlock()
	var batch []esdb.Position
	flush := func() {
		x.mu.Lock()
		x.pos = append(x.pos, batch...)
		x.cursor, x.started = from, started
		x.mu.Unlock()
		batch = batch[:0]
	}
	err := x.scan(ctx, from, !started, func(r *esdb.RecordedEvent) bool {
		from, started = r.Position, true
		if isUserEvent(r.StreamID, r.EventType) {
			batch = append(batch, r.Position)
		}
		if len(batch) >= 4096 {
			flush()
		}
		return true
	})
	flush()
	if err != nil {
		return 0, fmt.Errorf("read the tail of $all: %w", err)
	}
	return x.len(), nil
}

// len is the number of user events indexed so far.
func (x *index) len() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return uint64(len(x.pos))
}

// lookup returns the global position of the user event at $all position
// p, and whether the index has read $all up to p; one lock, so a sync in
// between cannot make "not found" and "covered" disagree.
func (x *index) lookup(p esdb.Position) (n uint64, found, covered bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i := sort.Search(len(x.pos), func(i int) bool { return !after(p, x.pos[i]) })
	if i < len(x.pos) && x.pos[i] == p {
		return uint64(i) + 1, true, true
	}
	return 0, false, x.started && !after(p, x.cursor)
}

// ordinalOf returns the global position of the user event at $all
// position p, reading the tail of $all first if p lies beyond it.
func (x *index) ordinalOf(ctx context.Context, p esdb.Position) (uint64, error) {
	n, found, covered := x.lookup(p)
	if !found && !covered {
		if _, err := x.sync(ctx); err != nil {
			return 0, err
		}
		n, found, _ = x.lookup(p)
	}
	if !found {
		return 0, fmt.Errorf("no user event at $all position %d/%d: was a stream deleted or scavenged?", p.Commit, p.Prepare)
	}
	return n, nil
}

// at returns the $all position of the event with global position n
// (n >= 1), reading the tail of $all if n lies beyond the index; ok is
// false when the log has no such event yet.
func (x *index) at(ctx context.Context, n uint64) (esdb.Position, bool, error) {
	get := func() (esdb.Position, bool) {
		x.mu.RLock()
		defer x.mu.RUnlock()
		if n == 0 || n > uint64(len(x.pos)) {
			return esdb.Position{}, false
		}
		return x.pos[n-1], true
	}
	if p, ok := get(); ok {
		return p, true, nil
	}
	if _, err := x.sync(ctx); err != nil {
		return esdb.Position{}, false, err
	}
	p, ok := get()
	return p, ok, nil
}

// check confirms that the user event at $all position p has global
// position n, where the index already covers p: an event stream read and
// the index must agree, or the log changed under us (deletion, scavenge).
func (x *index) check(p esdb.Position, n uint64) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if n == 0 || n > uint64(len(x.pos)) {
		return nil
	}
	if x.pos[n-1] != p {
		return fmt.Errorf("$all position %d/%d numbered %d, but the index has %d/%d there: was a stream deleted or scavenged?",
			p.Commit, p.Prepare, n, x.pos[n-1].Commit, x.pos[n-1].Prepare)
	}
	return nil
}
