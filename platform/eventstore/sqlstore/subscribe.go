package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// broadcast wakes every waiter at once: wait returns a channel that notify
// closes (and replaces). Taking the channel before reading the log means a
// commit that lands after the read still wakes the reader.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBroadcast() *broadcast { return &broadcast{ch: make(chan struct{})} }

func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}

// pageKey is what a page of a feed answers: the events after a position,
// read since the commit that made wake the broadcast's channel. The feeds at
// one position share a page read while no commit came since it began (each
// took wake before it asked): a later commit closes wake and they all read
// again. After the safety poll a feed reads alone, since what it polls for
// (another process's commit) closes no wake.
type pageKey struct {
	wake  <-chan struct{}
	after uint64
}

// subscription is a feed of the global log fed by one goroutine.
type subscription struct {
	ch  chan eventstore.RecordedEvent
	mu  sync.Mutex
	err error
}

// Events returns the feed; it closes when the subscription ends.
func (s *subscription) Events() <-chan eventstore.RecordedEvent { return s.ch }

// Err tells why the feed closed: nil after the caller's ctx ended,
// eventstore.ErrClosed after the store closed, else the read error.
func (s *subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Subscribe delivers every event with position > after, in order, then
// follows the live tail until ctx ends. Catching up reads pages of PageSize
// events; at the tail it sleeps until a commit of this store, a NOTIFY from
// another process (PostgreSQL) or the safety poll wakes it. The channel
// holds SubscriptionBuffer events; when the consumer falls behind, the
// subscription waits for it and drops nothing. A read error ends the
// subscription (Err says which); resubscribe from the last position seen.
func (s *Store) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("subscribe: %w", eventstore.ErrClosed)
	}
	if s.db.IsPostgres() {
		s.listen.Do(func() {
			s.bg.Add(1)
			go s.listenPG()
		})
	}
	sub := &subscription{ch: make(chan eventstore.RecordedEvent, s.opts.SubscriptionBuffer)}
	s.bg.Add(1)
	go s.follow(ctx, sub, after)
	return sub, nil
}

// follow feeds sub until ctx or the store ends.
func (s *Store) follow(ctx context.Context, sub *subscription, pos uint64) {
	defer s.bg.Done()
	defer close(sub.ch)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.life, cancel)
	defer stop()
	err := s.feed(rctx, sub, &pos)
	sub.mu.Lock()
	defer sub.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		sub.err = nil
	case s.life.Err() != nil:
		sub.err = eventstore.ErrClosed
	default:
		sub.err = fmt.Errorf("subscription at position %d: %w", pos, err)
	}
}

// feed reads and sends until ctx ends or a read fails; it returns the reason
// and leaves in pos the position of the last event sent.
func (s *Store) feed(ctx context.Context, sub *subscription, pos *uint64) error {
	poll := time.NewTimer(s.opts.PollInterval)
	defer poll.Stop()
	polled := false
	for {
		wake := s.wake.wait()
		read := func() ([]eventstore.RecordedEvent, error) { return s.ReadAll(ctx, *pos, s.opts.PageSize) }
		var evs []eventstore.RecordedEvent
		var err error
		if polled { // for commits nobody told this store of: a read of its own
			evs, err = read()
		} else {
			evs, err = s.pages.Read(ctx, pageKey{wake: wake, after: *pos}, read)
		}
		polled = false
		if err != nil {
			return err
		}
		for _, e := range evs {
			select {
			case sub.ch <- e:
				*pos = e.Position
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if len(evs) == s.opts.PageSize {
			continue // more to catch up on
		}
		poll.Reset(s.opts.PollInterval)
		select {
		case <-wake:
		case <-poll.C:
			polled = true
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
