package kurrent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// subscription is a feed of the global log fed by one goroutine.
type subscription struct {
	ch  chan eventstore.RecordedEvent
	mu  sync.Mutex
	err error
}

// Events returns the feed; it closes when the subscription ends.
func (s *subscription) Events() <-chan eventstore.RecordedEvent { return s.ch }

// Err tells why the feed closed: nil after the caller's ctx ended,
// eventstore.ErrClosed after the store closed, else what broke it.
func (s *subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *subscription) end(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// feed is where a subscription stands: the $all position of the last user
// event it numbered (or the start of $all), that event's global position,
// and the global position after which events are delivered.
type feed struct {
	pos   esdb.Position
	start bool
	n     uint64
	after uint64
}

// Subscribe delivers every event with position > after, in order, then
// follows the live tail until ctx ends, through a catch-up subscription to
// $all with a server-side filter that leaves system streams out.
//
// When KurrentDB drops the subscription (a restart, a leader change, a
// network cut), it resubscribes from the $all position of the last user
// event it numbered, which the server treats as exclusive, and skips
// anything at or before it: no event is lost or repeated. Resubscription
// is immediate after progress, then backs off; after MaxResubscribes
// failures in a row the subscription ends with the error.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	if err := s.checkOpen("subscribe"); err != nil {
		return nil, err
	}
	f, err := s.feedAfter(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("subscribe after %d: %w", after, err)
	}
	run, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(s.life, cancel)
	es, err := s.subscribeAll(run, f)
	if err != nil {
		stopOnClose()
		cancel()
		return nil, fmt.Errorf("subscribe after %d: %w", after, err)
	}
	sub := &subscription{ch: make(chan eventstore.RecordedEvent, s.opts.SubscriptionBuffer)}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer close(sub.ch)
		defer stopOnClose()
		defer cancel()
		sub.end(s.follow(run, ctx, sub, es, f))
	}()
	return sub, nil
}

// feedAfter places a new feed at global position after, or at the head
// when after lies beyond it (the events up to after are then skipped as
// they arrive).
func (s *Store) feedAfter(ctx context.Context, after uint64) (feed, error) {
	if after == 0 {
		return feed{start: true}, nil
	}
	p, ok, err := s.idx.at(ctx, after)
	if err != nil {
		return feed{}, err
	}
	if ok {
		return feed{pos: p, n: after, after: after}, nil
	}
	h := s.idx.len()
	if h == 0 {
		return feed{start: true, after: after}, nil
	}
	p, _, err = s.idx.at(ctx, h)
	return feed{pos: p, n: h, after: after}, err
}

func (s *Store) subscribeAll(ctx context.Context, f feed) (*esdb.Subscription, error) {
	var from esdb.AllPosition = esdb.Start{}
	if !f.start {
		from = f.pos
	}
	return s.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: from, Filter: userStreamsFilter()})
}

// maxBackoff caps the pause between resubscriptions.
const maxBackoff = 5 * time.Second

// follow pumps es into sub and resubscribes when it drops. run ends with
// the caller's ctx or the store; the result is the subscription's Err.
func (s *Store) follow(run, caller context.Context, sub *subscription, es *esdb.Subscription, f feed) error {
	var err error
	failures, wait := 0, time.Duration(0)
	for {
		if es != nil {
			before := f.n
			err = s.pump(run, sub, es, &f)
			es.Close()
			es = nil
			if f.n > before {
				failures, wait = 0, 0
			}
		}
		switch {
		case caller.Err() != nil:
			return nil
		case s.life.Err() != nil:
			return eventstore.ErrClosed
		case errors.Is(err, errMismatch):
			return err
		}
		if failures++; failures > s.opts.MaxResubscribes {
			return fmt.Errorf("%d resubscriptions in a row failed: %w", failures-1, err)
		}
		select {
		case <-time.After(wait):
		case <-run.Done():
			continue // the checks above say why
		}
		wait = min(max(2*wait, s.opts.ResubscribeBackoff), maxBackoff)
		if es, err = s.subscribeAll(run, f); err != nil {
			err = fmt.Errorf("resubscribe: %w", err)
			es = nil
		}
	}
}

// errMismatch marks a numbering that disagrees with the index: the log
// changed under the subscription and resubscribing cannot fix it.
var errMismatch = errors.New("kurrent: $all changed under the index")

// pump delivers the events of es until it drops or run ends.
func (s *Store) pump(run context.Context, sub *subscription, es *esdb.Subscription, f *feed) error {
	for {
		ev := es.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			return fmt.Errorf("subscription dropped: %w", ev.SubscriptionDropped.Error)
		case ev.EventAppeared != nil:
			r := ev.EventAppeared.OriginalEvent()
			if r == nil || (!f.start && !after(r.Position, f.pos)) || !isUserEvent(r.StreamID, r.EventType) {
				continue
			}
			if err := s.idx.check(run, r.Position, f.n+1); err != nil {
				if errors.Is(err, errRenumbered) {
					return fmt.Errorf("%w: %v", errMismatch, err)
				}
				return err
			}
			f.pos, f.start, f.n = r.Position, false, f.n+1
			if f.n <= f.after {
				continue
			}
			select {
			case sub.ch <- fromRecorded(r, f.n):
			case <-run.Done():
				return run.Err()
			}
		}
		// CheckPointReached: resuming after the last user event is exact
		// already, so a checkpoint only saves the server some filtering.
		// CaughtUp and FellBehind need nothing.
	}
}
