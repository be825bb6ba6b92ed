package kurrent

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// scanFunc reads $all forward from just after from (from the start when
// start is true), calling visit for every record in order until visit
// returns false or the end of the log. It is Store.scanAll.
type scanFunc func(ctx context.Context, from esdb.Position, start bool, visit func(*esdb.RecordedEvent) bool) error

// index maps the adapter's global positions to KurrentDB's: the nth user
// event (isUserEvent) in $all order has global position n. Its numbering
// lives in a positions (memory, or a file that outlives the process); the
// index holds only the count and the cursor.
//
// It is derived only from the server's log, so every process that indexes
// the same log assigns the same numbers. It grows by reading the tail of
// $all after cursor, the last record seen (user or system); one sync runs
// at a time and callers that wait for it find their answer when it ends.
type index struct {
	scan   scanFunc
	store  positions
	syncMu sync.Mutex // held while reading the tail

	mu      sync.RWMutex // guards the fields below and reads of store against add
	count   uint64
	cursor  esdb.Position
	started bool // cursor is set: something was read
}

func newIndex(scan scanFunc, store positions) *index { return &index{scan: scan, store: store} }

// open loads what store already numbered and checks it belongs to this
// log: the first user event of $all must be numbered 1 where store says.
// A store numbering another log (a server replaced or reset) is emptied,
// so the next sync numbers this log from its start.
func (x *index) open(ctx context.Context) (fresh bool, err error) {
	count, cursor, started, firstID, err := x.store.load(ctx)
	if err != nil {
		return false, err
	}
	if started && count > 0 {
		first, err := x.store.at(ctx, 1)
		if err != nil {
			return false, err
		}
		var got *esdb.RecordedEvent
		err = x.scan(ctx, esdb.Position{}, true, func(r *esdb.RecordedEvent) bool {
			if isUserEvent(r.StreamID, r.EventType) {
				got = r
				return false
			}
			return true
		})
		if err != nil {
			return false, fmt.Errorf("read the start of $all: %w", err)
		}
		if got == nil || got.Position != first || got.EventID.String() != firstID {
			count, cursor, started = 0, esdb.Position{}, false
			if err := x.store.reset(ctx); err != nil {
				return false, err
			}
			fresh = true
		}
	}
	x.mu.Lock()
	x.count, x.cursor, x.started = count, cursor, started
	x.mu.Unlock()
	return fresh, nil
}

// sync reads $all from the cursor to its current end and returns the
// number of user events indexed (the head).
func (x *index) sync(ctx context.Context) (uint64, error) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	x.mu.RLock()
	from, started, count := x.cursor, x.started, x.count
	x.mu.RUnlock()
	saved := from // the cursor as store has it
	var batch []esdb.Position
	var firstID string // user event 1's id, when this sync meets it
	var failed error
	flush := func() bool {
		if len(batch) == 0 && (!started || from == saved) {
			return true // nothing new to keep
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		if err := x.store.add(ctx, count, batch, from, firstID); err != nil {
			failed = err
			return false
		}
		count += uint64(len(batch))
		x.count, x.cursor, x.started = count, from, started
		saved = from
		batch = batch[:0]
		return true
	}
	err := x.scan(ctx, from, !started, func(r *esdb.RecordedEvent) bool {
		from, started = r.Position, true
		if isUserEvent(r.StreamID, r.EventType) {
			if count == 0 && len(batch) == 0 {
				firstID = r.EventID.String()
			}
			batch = append(batch, r.Position)
		}
		if len(batch) >= 4096 {
			return flush()
		}
		return true
	})
	if failed == nil {
		flush()
	}
	if err == nil {
		err = failed
	}
	if err != nil {
		return 0, fmt.Errorf("read the tail of $all: %w", err)
	}
	return x.len(), nil
}

// len is the number of user events indexed so far.
func (x *index) len() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.count
}

// lookup returns the global position of the user event at $all position
// p, and whether the index has read $all up to p; one lock, so a sync in
// between cannot make "not found" and "covered" disagree.
func (x *index) lookup(ctx context.Context, p esdb.Position) (n uint64, found, covered bool, err error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if n, found, err = x.store.find(ctx, p); err != nil || found {
		return n, found, found, err
	}
	return 0, false, x.started && !after(p, x.cursor), nil
}

// ordinalOf returns the global position of the user event at $all
// position p, reading the tail of $all first if p lies beyond it.
func (x *index) ordinalOf(ctx context.Context, p esdb.Position) (uint64, error) {
	n, found, covered, err := x.lookup(ctx, p)
	if err != nil {
		return 0, err
	}
	if !found && !covered {
		if _, err := x.sync(ctx); err != nil {
			return 0, err
		}
		if n, found, _, err = x.lookup(ctx, p); err != nil {
			return 0, err
		}
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
	get := func() (esdb.Position, bool, error) {
		x.mu.RLock()
		defer x.mu.RUnlock()
		if n == 0 || n > x.count {
			return esdb.Position{}, false, nil
		}
		p, err := x.store.at(ctx, n)
		return p, err == nil, err
	}
	if p, ok, err := get(); ok || err != nil {
		return p, ok, err
	}
	if _, err := x.sync(ctx); err != nil {
		return esdb.Position{}, false, err
	}
	return get()
}

// errRenumbered marks a log that disagrees with the index's numbering.
var errRenumbered = errors.New("the log disagrees with the position index")

// check confirms that the user event at $all position p has global
// position n, where the index already covers p: an event stream read and
// the index must agree, or the log changed under us (deletion, scavenge).
func (x *index) check(ctx context.Context, p esdb.Position, n uint64) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if n == 0 || n > x.count {
		return nil
	}
	want, err := x.store.at(ctx, n)
	if err != nil {
		return err
	}
	if want != p {
		return fmt.Errorf("%w: $all position %d/%d numbered %d, but the index has %d/%d there: was a stream deleted or scavenged?",
			errRenumbered, p.Commit, p.Prepare, n, want.Commit, want.Prepare)
	}
	return nil
}
