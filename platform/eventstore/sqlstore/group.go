package sqlstore

import (
	"context"
	"database/sql"
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
	insertEvents(ctx context.Context, tx *sql.Tx, rows []row) error
	setStreams(ctx context.Context, tx *sql.Tx, streams []string, versions []int64) error
	// setHead moves the head; PostgreSQL also queues the NOTIFY that is
	// delivered when the transaction commits.
	setHead(ctx context.Context, tx *sql.Tx, head int64) error
	close()
}

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

// group is the state of one group commit while it is planned: the head and
// the stream versions as the group itself has moved them.
type group struct {
	head      int64
	versions  map[string]int64
	ids       map[uuid.UUID]eventLoc
	touched   []string // streams written, in first-write order
	isTouched map[string]bool
	rows      []row
	now       time.Time
}

// writeGroup runs one group commit. It reports whether any event was written.
func (s *Store) writeGroup(ctx context.Context, reqs []*request) (bool, error) {
	tx, err := s.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	g, err := s.load(ctx, tx, reqs)
	if err != nil {
		return false, err
	}
	for _, r := range reqs {
		g.plan(r)
	}
	if len(g.rows) > 0 {
		if err := s.backend.insertEvents(ctx, tx, g.rows); err != nil {
			return false, fmt.Errorf("insert events: %w", err)
		}
		versions := make([]int64, len(g.touched))
		for i, st := range g.touched {
			versions[i] = g.versions[st]
		}
		if err := s.backend.setStreams(ctx, tx, g.touched, versions); err != nil {
			return false, fmt.Errorf("update streams: %w", err)
		}
		if err := s.backend.setHead(ctx, tx, g.head); err != nil {
			return false, fmt.Errorf("update head: %w", err)
		}
	}
	if s.opts.BeforeCommit != nil {
		if err := s.opts.BeforeCommit(ctx); err != nil {
			return false, err
		}
	}
	done = true
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return len(g.rows) > 0, nil
}

// load locks the head and reads what the group's preconditions depend on:
// the versions of the streams it touches and the stored events among its ids.
func (s *Store) load(ctx context.Context, tx *sql.Tx, reqs []*request) (*group, error) {
	head, err := s.backend.lockHead(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("lock head: %w", err)
	}
	var streams []string
	seen := make(map[string]bool, len(reqs))
	n := 0
	for _, r := range reqs {
		if !seen[r.stream] {
			seen[r.stream] = true
			streams = append(streams, r.stream)
		}
		n += len(r.events)
	}
	ids := make([]uuid.UUID, 0, n)
	for _, r := range reqs {
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
	return &group{
		head:      head,
		versions:  versions,
		ids:       found,
		isTouched: make(map[string]bool, len(streams)),
		rows:      make([]row, 0, n),
		now:       s.opts.Now().UTC().Truncate(time.Microsecond),
	}, nil
}

// version is the stream's version as the group has left it so far.
func (g *group) version(stream string) int64 {
	if v, ok := g.versions[stream]; ok {
		return v
	}
	return -1
}

// plan decides one request against the state the earlier requests of the
// group left, and either queues its rows or sets its error. Nothing about a
// failed request reaches the database.
func (g *group) plan(r *request) {
	cur := g.version(r.stream)
	if retry, err := g.retried(r, cur); retry || err != nil {
		r.err = err
		return
	}
	if !holds(r.expected, cur) {
		r.err = &eventstore.ConflictError{Stream: r.stream, Expected: r.expected, Actual: cur}
		return
	}
	if len(r.events) == 0 {
		r.res = eventstore.AppendResult{NextVersion: cur}
		return
	}
	first := g.head + 1
	for i := range r.events {
		g.head++
		cur++
		e := &r.events[i]
		g.rows = append(g.rows, row{position: g.head, stream: r.stream, version: cur, event: e, recorded: g.now})
		g.ids[e.ID] = eventLoc{stream: r.stream, version: cur, position: g.head}
	}
	if !g.isTouched[r.stream] {
		g.isTouched[r.stream] = true
		g.touched = append(g.touched, r.stream)
	}
	g.versions[r.stream] = cur
	r.res = eventstore.AppendResult{FirstPosition: uint64(first), LastPosition: uint64(g.head), NextVersion: cur}
}

// retried handles an append whose event ids are already stored (or queued
// earlier in this group). If they are exactly this append's events, in
// order, in this stream, right after the version the append expected, it is
// a retry of an append that succeeded: the original result is given back and
// nothing is written (the semantics of KurrentDB). Any other reuse of an id
// is an error.
func (g *group) retried(r *request, cur int64) (bool, error) {
	var locs []eventLoc
	for i := range r.events {
		if loc, ok := g.ids[r.events[i].ID]; ok {
			locs = append(locs, loc)
		}
	}
	if len(locs) == 0 {
		return false, nil
	}
	n := len(r.events)
	if len(locs) == n {
		consecutive := true
		for i, loc := range locs {
			if loc.stream != r.stream || loc.version != locs[0].version+int64(i) {
				consecutive = false
				break
			}
		}
		if consecutive {
			if !holds(r.expected, locs[0].version-1) {
				return false, &eventstore.ConflictError{Stream: r.stream, Expected: r.expected, Actual: cur}
			}
			r.res = eventstore.AppendResult{
				FirstPosition: uint64(locs[0].position),
				LastPosition:  uint64(locs[n-1].position),
				NextVersion:   locs[n-1].version,
			}
			return true, nil
		}
	}
	for i := range r.events {
		if loc, ok := g.ids[r.events[i].ID]; ok {
			return false, fmt.Errorf("append %s: event %s is stored in %s at version %d: %w",
				r.stream, r.events[i].ID, loc.stream, loc.version, ErrDuplicateEventID)
		}
	}
	return false, nil
}

// holds reports whether expected is satisfied by a stream at version cur
// (-1: no stream).
func holds(expected eventstore.ExpectedVersion, cur int64) bool {
	switch expected {
	case eventstore.Any:
		return true
	case eventstore.NoStream:
		return cur == -1
	default:
		return int64(expected) == cur
	}
}
