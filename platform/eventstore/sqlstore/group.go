package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// backend is what differs between SQLite and PostgreSQL on the write path.
// Every method runs inside the group's transaction.
type backend interface {
	// lockHead returns the head position and, where other writers could
	// run concurrently (PostgreSQL), locks the head row until commit.
	lockHead(ctx context.Context, tx *sql.Tx) (int64, error)
	// streamVersions returns the version of each existing stream of streams.
	streamVersions(ctx context.Context, tx *sql.Tx, streams []string) (map[string]int64, error)
	// findIDs returns where each already stored event of ids is.
	findIDs(ctx context.Context, tx *sql.Tx, ids []uuid.UUID) (map[uuid.UUID]eventLoc, error)
	// write inserts the group's events, sets the versions of the streams
	// it touched and moves the head; PostgreSQL also queues the NOTIFY that
	// is delivered when the transaction commits.
	write(ctx context.Context, tx *sql.Tx, w writeSet) error
	close()
}

// oneShot is a backend that can write a group planned without the head in
// one statement that is its own transaction: the rows' positions are
// relative (1…n), the statement places them after the head it locks and
// moves, and returns the head it found (the base to add). PostgreSQL does.
type oneShot interface {
	writeRelative(ctx context.Context, w writeSet) (base int64, err error)
}

// errNeedsLookup says a group cannot be planned on the version cache
// alone: it goes the transaction's way, which looks up what it must.
var errNeedsLookup = errors.New("group needs lookups")

// eventLoc is where a stored event is.
type eventLoc struct {
	stream   string
	version  int64
	position int64
}

// row is one event to insert.
type row struct {
	position int64
	stream   string
	version  int64
	event    *eventstore.EventData
	recorded time.Time
}

// writeSet is everything one group writes.
type writeSet struct {
	rows     []row
	streams  []string // touched, with their new versions
	versions []int64
	head     int64
}

// errStale says an optimistic attempt ran into the database's constraints:
// what it assumed (a cached version, an absent stream, new event ids) was
// not so. The group is then decided again on what the database says.
var errStale = errors.New("optimistic group attempt failed")

// writeGroup runs one group commit and reports whether it wrote any event.
//
// It first tries optimistically: stream versions from the cache of versions
// this store committed, a stream appended to with NoStream assumed absent,
// event ids assumed new. The UNIQUE constraints on (stream_id, version) and
// event_id catch every wrong assumption: an insert that breaks one fails the
// attempt, and the group is decided again from the database (versions and
// ids looked up in the transaction). A precondition that fails on assumed
// state is likewise checked against the database before anyone is told.
func (s *Store) writeGroup(ctx context.Context, reqs []*request) (bool, error) {
	var g *group
	err := errNeedsLookup
	if b, ok := s.backend.(oneShot); ok && s.opts.BeforeCommit == nil {
		g, err = s.tryOneShot(ctx, b, reqs)
	}
	if errors.Is(err, errNeedsLookup) {
		g, err = s.tryGroup(ctx, reqs, true)
	}
	if errors.Is(err, errStale) {
		for _, r := range reqs {
			delete(s.versions, r.stream)
		}
		g, err = s.tryGroup(ctx, reqs, false)
	}
	if err != nil {
		return false, err
	}
	if len(s.versions)+len(g.versions) > s.opts.VersionCache {
		clear(s.versions)
	}
	for st, v := range g.versions {
		s.versions[st] = v
	}
	return len(g.rows) > 0, nil
}

// tryOneShot is the optimistic attempt in one statement: only when every
// request is planned on the version cache (a stream it knows nothing of is
// absent for NoStream and a lookup otherwise), every precondition holds
// there and there is something to write; else errNeedsLookup. A failed
// write is errStale (nothing was written: the statement is atomic), and
// the group is decided again in a transaction on looked-up state, which
// also answers a write that committed but whose answer was lost (its event
// ids are found stored, a retry).
func (s *Store) tryOneShot(ctx context.Context, b oneShot, reqs []*request) (*group, error) {
	versions := make(map[string]int64, len(reqs))
	for _, r := range reqs {
		if v, ok := s.versions[r.stream]; ok {
			versions[r.stream] = v
		} else if r.expected != eventstore.NoStream {
			return nil, errNeedsLookup
		}
	}
	g := newGroup(0, versions, nil, len(reqs), s.opts.Now().UTC().Truncate(time.Microsecond))
	if !g.planAll(reqs) || len(g.rows) == 0 {
		return nil, errNeedsLookup
	}
	w := writeSet{rows: g.rows, streams: g.touched, versions: make([]int64, len(g.touched)), head: g.head}
	for i, st := range g.touched {
		w.versions[i] = g.versions[st]
	}
	base, err := b.writeRelative(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errStale, err)
	}
	for _, r := range reqs {
		if r.err == nil && r.res.LastPosition > 0 {
			r.res.FirstPosition += uint64(base)
			r.res.LastPosition += uint64(base)
		}
	}
	g.head += base
	return g, nil
}

// tryGroup is one attempt at a group commit, in one transaction.
func (s *Store) tryGroup(ctx context.Context, reqs []*request, optimistic bool) (*group, error) {
	tx, err := s.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	head, err := s.backend.lockHead(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("lock head: %w", err)
	}
	g, err := s.decide(ctx, tx, head, reqs, optimistic)
	if err != nil {
		return nil, err
	}
	if len(g.rows) > 0 {
		w := writeSet{rows: g.rows, streams: g.touched, versions: make([]int64, len(g.touched)), head: g.head}
		for i, st := range g.touched {
			w.versions[i] = g.versions[st]
		}
		if err := s.backend.write(ctx, tx, w); err != nil {
			if optimistic {
				return nil, fmt.Errorf("%w: %w", errStale, err)
			}
			return nil, fmt.Errorf("write events: %w", err)
		}
	}
	if s.opts.BeforeCommit != nil {
		if err := s.opts.BeforeCommit(ctx); err != nil {
			return nil, err
		}
	}
	done = true
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return g, nil
}

// decide plans every request of the group. Optimistically it looks up only
// the streams it knows nothing of and whose requests need their version; if
// any request then fails, it decides again on looked-up state.
func (s *Store) decide(ctx context.Context, tx *sql.Tx, head int64, reqs []*request, optimistic bool) (*group, error) {
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	if optimistic {
		versions := make(map[string]int64, len(reqs))
		var unknown []string
		for _, r := range reqs {
			_, seen := versions[r.stream]
			if v, ok := s.versions[r.stream]; ok {
				versions[r.stream] = v
			} else if r.expected != eventstore.NoStream && !seen {
				versions[r.stream] = -1 // until looked up
				unknown = append(unknown, r.stream)
			}
		}
		if len(unknown) > 0 {
			found, err := s.backend.streamVersions(ctx, tx, unknown)
			if err != nil {
				return nil, fmt.Errorf("read stream versions: %w", err)
			}
			for _, st := range unknown {
				delete(versions, st)
			}
			for st, v := range found {
				versions[st] = v
			}
		}
		g := newGroup(head, versions, nil, len(reqs), now)
		if g.planAll(reqs) {
			return g, nil
		}
	}
	return s.decideOnLookups(ctx, tx, head, reqs, now)
}

// decideOnLookups plans the group on the stream versions and stored event
// ids that it reads in the transaction.
func (s *Store) decideOnLookups(ctx context.Context, tx *sql.Tx, head int64, reqs []*request, now time.Time) (*group, error) {
	streams := make([]string, 0, len(reqs))
	seen := make(map[string]bool, len(reqs))
	var ids []uuid.UUID
	for _, r := range reqs {
		if !seen[r.stream] {
			seen[r.stream] = true
			streams = append(streams, r.stream)
		}
		for i := range r.events {
			ids = append(ids, r.events[i].ID)
		}
	}
	versions, err := s.backend.streamVersions(ctx, tx, streams)
	if err != nil {
		return nil, fmt.Errorf("read stream versions: %w", err)
	}
	found, err := s.backend.findIDs(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	g := newGroup(head, versions, found, len(reqs), now)
	g.planAll(reqs)
	return g, nil
}
