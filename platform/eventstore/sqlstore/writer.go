package sqlstore

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// Request states: a queued request is taken by the writer or cancelled by
// its caller, whichever comes first; the loser of the race backs off.
const (
	queued int32 = iota
	taken
	cancelled
)

// request is one Append waiting for the writer.
type request struct {
	stream   string
	expected eventstore.ExpectedVersion
	events   []eventstore.EventData
	state    atomic.Int32

	res  eventstore.AppendResult
	err  error
	done chan struct{} // closed once res/err are final
}

// Append queues the append for the writer and waits until its group has
// committed (or failed).
//
// Cancelling ctx while the request still waits in the queue withdraws it:
// nothing is written and ctx's error is returned. Once the writer has taken
// the request into a group it is no longer withdrawn; Append then waits for
// the group's outcome and reports it, so a caller never sees a ctx error for
// events that were in fact written.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := validate(stream, expected, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	r := &request{stream: stream, expected: expected, events: events, done: make(chan struct{})}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, eventstore.ErrClosed)
	}
	select {
	case s.reqs <- r:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, ctx.Err())
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, cancelled) {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, ctx.Err())
		}
		<-r.done
	}
	return r.res, r.err
}

// runWriter is the single writer: it takes whatever requests are queued (up
// to MaxBatch), commits them as one group, and repeats. Requests arriving
// while a group commits form the next group, so the group size follows the
// load. After a group of several requests the writer waits a little for as
// many to be queued again (see fill) before it cuts the next one. On Close
// it commits what is still queued and stops.
func (s *Store) runWriter() {
	defer close(s.wrote)
	batch := make([]*request, 0, s.opts.MaxBatch)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	var last int           // requests in the last group, when it had several
	var took time.Duration // how long that group took to commit
	for {
		select {
		case r := <-s.reqs:
			batch = s.drain(append(batch[:0], r))
			if len(batch) < last {
				batch = s.fill(batch, last, time.Duration(float64(took)*s.opts.GroupWait), wait)
			}
			start := time.Now()
			s.commitGroup(batch)
			took, last = time.Since(start), 0
			if len(batch) > 1 {
				last = len(batch)
				// The callers just answered are busy writers: let them
				// queue their next appends before the next group is cut,
				// or the writers split into two half-size groups that
				// alternate (measured: 16 instead of 25 of 32 writers per
				// group, a third more fsyncs; fill takes the rest).
				runtime.Gosched()
			}
		case <-s.closing:
			for {
				batch = s.drain(batch[:0])
				if len(batch) == 0 {
					return
				}
				s.commitGroup(batch)
			}
		}
	}
}

// fill waits up to d for batch to hold want requests (at most MaxBatch),
// taking them as they are queued.
func (s *Store) fill(batch []*request, want int, d time.Duration, t *time.Timer) []*request {
	if d <= 0 {
		return batch
	}
	want = min(want, s.opts.MaxBatch)
	t.Reset(d)
	defer t.Stop()
	for len(batch) < want {
		select {
		case r := <-s.reqs:
			batch = s.drain(append(batch, r))
		case <-t.C:
			return batch
		case <-s.closing:
			return batch
		}
	}
	return batch
}

// drain adds queued requests to batch without waiting, up to MaxBatch.
func (s *Store) drain(batch []*request) []*request {
	for len(batch) < s.opts.MaxBatch {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commitGroup writes the live requests of batch in one transaction and
// answers them. A request whose precondition fails is answered with its own
// error while the others commit; a failure of the transaction itself is
// every request's error.
func (s *Store) commitGroup(batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if r.state.CompareAndSwap(queued, taken) {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	wrote, err := s.writeGroup(context.Background(), live)
	for _, r := range live {
		if err != nil {
			r.res, r.err = eventstore.AppendResult{}, fmt.Errorf("append %s: %w", r.stream, err)
		}
		close(r.done)
	}
	if err == nil && wrote {
		s.groups.Add(1)
		s.wake.notify()
	}
	for i := range batch {
		batch[i] = nil // let answered requests be collected
	}
}
