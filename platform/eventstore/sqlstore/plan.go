package sqlstore

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// group is the state of one group commit while it is planned: the head and
// the stream versions as the group itself has moved them.
type group struct {
	head      int64
	versions  map[string]int64       // known versions; absent: no stream
	ids       map[uuid.UUID]eventLoc // stored ids known, and the group's own
	touched   []string               // streams written, in first-write order
	isTouched map[string]bool
	rows      []row
	now       time.Time
}

func newGroup(head int64, versions map[string]int64, ids map[uuid.UUID]eventLoc, n int, now time.Time) *group {
	if ids == nil {
		ids = make(map[uuid.UUID]eventLoc, n)
	}
	return &group{
		head:      head,
		versions:  versions,
		ids:       ids,
		isTouched: make(map[string]bool, n),
		rows:      make([]row, 0, n),
		now:       now,
	}
}

// planAll plans the requests in order and reports whether all succeeded.
func (g *group) planAll(reqs []*request) bool {
	ok := true
	for _, r := range reqs {
		g.plan(r)
		ok = ok && r.err == nil
	}
	return ok
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
	r.res, r.err = eventstore.AppendResult{}, nil
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
