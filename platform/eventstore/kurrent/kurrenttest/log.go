package kurrenttest

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// record is one event in the double's transaction log. Like KurrentDB 22.6+
// for a single-stream append, its commit and prepare positions are both its
// byte offset in the log: increasing, with gaps.
type record struct {
	pos         uint64
	stream      string
	rev         uint64
	id          uuid.UUID
	typ         string
	contentType string
	data        []byte
	meta        []byte
	created     int64 // .NET ticks (100 ns) since the Unix epoch, as the server sends them
}

// proposed is an event the client asks to append.
type proposed struct {
	id          uuid.UUID
	typ         string
	contentType string
	data        []byte
	meta        []byte
}

// expectKind is the optimistic-concurrency precondition of an append.
type expectKind int

const (
	expectAny expectKind = iota
	expectNoStream
	expectExists
	expectRevision
)

type expectation struct {
	kind expectKind
	rev  uint64
}

// outcome is the answer to an append: either written (or an idempotent
// repeat) with the revision and position of the batch's last event, or a
// wrong expected version with the stream's current revision (-1: none).
type outcome struct {
	ok      bool
	last    int64
	pos     uint64
	current int64
}

// memlog is the double's store: one ordered log of records, a per-stream
// index and an id index for idempotent retries. A broadcast channel wakes
// readers that wait at the tail.
type memlog struct {
	mu          sync.RWMutex
	recs        []*record
	streams     map[string][]*record
	ids         map[uuid.UUID]*record
	next        uint64
	changed     chan struct{}
	appends     int
	systemEvery int
	now         func() time.Time
}

func newMemlog(systemEvery int, now func() time.Time) *memlog {
	l := &memlog{
		streams:     make(map[string][]*record),
		ids:         make(map[uuid.UUID]*record),
		next:        systemStart,
		changed:     make(chan struct{}),
		systemEvery: systemEvery,
		now:         now,
	}
	// A fresh KurrentDB already holds system events when the first client
	// connects; so does the double, so that $all starts with records the
	// adapter must skip.
	l.mu.Lock()
	l.writeSystem("$settings", "$settings")
	l.writeSystem("$stats-127.0.0.1:2113", "$statsCollected")
	l.mu.Unlock()
	return l
}

// systemStart is where the first record lands: the real log starts with a
// chunk header and epoch records, so positions never start at 0 either.
const systemStart = 128

// recordOverhead approximates a prepare record's header, so that positions
// grow like byte offsets rather than counters.
const recordOverhead = 88

// wait returns a channel that closes at the next append. Take it before
// reading the log, so an append that lands after the read still wakes you.
func (l *memlog) wait() <-chan struct{} {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.changed
}

// appendEvents applies KurrentDB's commit check and writes the events.
func (l *memlog) appendEvents(stream string, exp expectation, evs []proposed) outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	recs := l.streams[stream]
	current := int64(len(recs)) - 1

	var want int64 // the revision the stream must be at, for a numeric check
	switch exp.kind {
	case expectAny:
		if len(evs) > 0 {
			if r, ok := l.ids[evs[0].id]; ok && r.stream == stream {
				return l.idempotent(recs, int64(r.rev)-1, evs, current)
			}
		}
		want = current
	case expectExists:
		if current < 0 {
			return outcome{current: current}
		}
		want = current
	case expectNoStream:
		want = -1
	case expectRevision:
		want = int64(exp.rev)
	}
	switch {
	case want > current:
		return outcome{current: current}
	case want < current:
		return l.idempotent(recs, want, evs, current)
	}
	for _, e := range evs {
		r := &record{
			pos: l.next, stream: stream, rev: uint64(len(recs)), id: e.id, typ: e.typ,
			contentType: e.contentType, data: e.data, meta: e.meta, created: ticks(l.now()),
		}
		l.put(r)
		recs = l.streams[stream]
	}
	res := outcome{ok: true, last: int64(len(recs)) - 1}
	if len(recs) > 0 {
		res.pos = recs[len(recs)-1].pos
	}
	l.appends++
	if l.systemEvery > 0 && l.appends%l.systemEvery == 0 {
		l.writeSystem("$stats-127.0.0.1:2113", "$statsCollected")
	}
	l.notify()
	return res
}

// idempotent answers a retry: the events must be exactly those after
// revision after, in order; anything else is a wrong expected version, as
// KurrentDB's "corrupted idempotency" is.
func (l *memlog) idempotent(recs []*record, after int64, evs []proposed, current int64) outcome {
	if len(evs) == 0 || after+int64(len(evs)) > current {
		return outcome{current: current}
	}
	for i, e := range evs {
		if recs[after+1+int64(i)].id != e.id {
			return outcome{current: current}
		}
	}
	last := recs[after+int64(len(evs))]
	return outcome{ok: true, last: int64(last.rev), pos: last.pos}
}

// put appends r to the log and its indexes. The caller holds mu.
func (l *memlog) put(r *record) {
	l.recs = append(l.recs, r)
	l.streams[r.stream] = append(l.streams[r.stream], r)
	l.ids[r.id] = r
	l.next += recordOverhead + uint64(len(r.stream)+len(r.typ)+len(r.data)+len(r.meta))
}

// writeSystem writes a system record, the kind every $all reader meets
// between user events. The caller holds mu.
func (l *memlog) writeSystem(stream, typ string) {
	rev := uint64(len(l.streams[stream]))
	l.put(&record{
		pos: l.next, stream: stream, rev: rev, id: uuid.New(), typ: typ,
		contentType: "application/json", data: []byte(`{}`), created: ticks(l.now()),
	})
}

// addSystem writes a system record now and wakes readers.
func (l *memlog) addSystem(stream, typ string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeSystem(stream, typ)
	l.notify()
}

// notify wakes every waiter. The caller holds mu.
func (l *memlog) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// stream returns a copy of a stream's records and whether it exists.
func (l *memlog) stream(name string) ([]*record, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	recs, ok := l.streams[name]
	return append([]*record(nil), recs...), ok
}

// forward returns up to max records with position >= from (> from when
// exclusive), oldest first.
func (l *memlog) forward(from uint64, exclusive bool, max int) []*record {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i := sort.Search(len(l.recs), func(i int) bool {
		if exclusive {
			return l.recs[i].pos > from
		}
		return l.recs[i].pos >= from
	})
	end := min(len(l.recs), i+max)
	return append([]*record(nil), l.recs[i:end]...)
}

// backward returns up to max records with position < before, newest first.
func (l *memlog) backward(before uint64, max int) []*record {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i := sort.Search(len(l.recs), func(i int) bool { return l.recs[i].pos >= before })
	out := make([]*record, 0, min(i, max))
	for j := i - 1; j >= 0 && len(out) < max; j-- {
		out = append(out, l.recs[j])
	}
	return out
}

// last returns the position of the newest record (ok false when empty).
func (l *memlog) last() (uint64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.recs) == 0 {
		return 0, false
	}
	return l.recs[len(l.recs)-1].pos, true
}

// ticks converts t to .NET ticks since the Unix epoch.
func ticks(t time.Time) int64 { return t.UnixNano() / 100 }

// fill writes n one-event user appends, each to a stream of its own, as
// appendEvents would (system events included), without the network.
func (l *memlog) fill(prefix string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range n {
		stream := fmt.Sprintf("%s-%d", prefix, i)
		l.put(&record{
			pos: l.next, stream: stream, rev: uint64(len(l.streams[stream])), id: uuid.New(), typ: "Filled",
			contentType: "application/json", data: []byte(`{}`), created: ticks(l.now()),
		})
		l.appends++
		if l.systemEvery > 0 && l.appends%l.systemEvery == 0 {
			l.writeSystem("$stats-127.0.0.1:2113", "$statsCollected")
		}
	}
	l.notify()
}
