package kurrent

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// PersistentSubscription is one consumer of a KurrentDB persistent
// subscription group on $all: the server remembers the group's progress,
// spreads events over the consumers connected to it and sends each event
// again until a consumer acknowledges it (at-least-once), so a worker
// fleet can share the log without a lease. The group uses the pinned
// consumer strategy: all events of one stream go to one consumer while it
// stays connected, so one account's events are handled in order by one
// worker. Handlers must still be idempotent by (stream, version): events
// are redelivered after a nack, a timeout or a reconnect, and a stream
// moves to another consumer when its consumer leaves.
type PersistentSubscription struct {
	ch chan PersistentEvent

	mu  sync.Mutex
	cur *esdb.PersistentSubscription // the live connection; Ack/Nack go there
	err error
}

// PersistentEvent is an event delivered by a persistent subscription; pass
// it to Ack or Nack once handled.
type PersistentEvent struct {
	eventstore.RecordedEvent
	// Retries is how many times the server delivered the event before.
	Retries int
	via     *esdb.PersistentSubscription
	raw     *esdb.ResolvedEvent
}

// NackAction tells the server what to do with an event a handler failed.
type NackAction int

const (
	// Retry delivers the event again (the group parks it after its
	// MaxRetryCount, 10 by default).
	Retry NackAction = iota
	// Park moves the event to the group's parked-message stream, where an
	// operator can inspect and replay it.
	Park
)

// Events returns the feed; it closes when the subscription ends.
func (p *PersistentSubscription) Events() <-chan PersistentEvent { return p.ch }

// Err tells why the feed closed: nil after the caller's ctx ended,
// eventstore.ErrClosed after the store closed, else what broke it.
func (p *PersistentSubscription) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Ack tells the server the event is handled. An ack that reaches the
// server after a reconnect is ignored and the event comes again.
func (p *PersistentSubscription) Ack(e PersistentEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.via != p.cur {
		return nil // delivered on a closed connection: the server sends it again
	}
	if err := p.cur.Ack(e.raw); err != nil {
		return fmt.Errorf("ack %s@%d: %w", e.StreamID, e.Version, err)
	}
	return nil
}

// Nack tells the server the event failed, with a reason for its logs.
func (p *PersistentSubscription) Nack(e PersistentEvent, action NackAction, reason string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.via != p.cur {
		return nil
	}
	a := esdb.NackActionRetry
	if action == Park {
		a = esdb.NackActionPark
	}
	if err := p.cur.Nack(reason, a, e.raw); err != nil {
		return fmt.Errorf("nack %s@%d: %w", e.StreamID, e.Version, err)
	}
	return nil
}

// pinnedGroupSettings are the settings of groups this adapter creates.
func pinnedGroupSettings() esdb.PersistentSubscriptionSettings {
	set := esdb.SubscriptionSettingsDefault()
	set.ConsumerStrategyName = esdb.ConsumerStrategyPinned
	return set
}

// SubscribePersistent connects to the persistent subscription group on
// $all, creating it first if it does not exist (from the start of $all,
// system streams filtered out server-side, pinned consumer strategy). Each
// call is one consumer; run one per worker with the same group. Events
// carry the same global positions as ReadAll. When the server drops the
// connection it reconnects, like Subscribe; unacknowledged events then
// come again.
func (s *Store) SubscribePersistent(ctx context.Context, group string) (*PersistentSubscription, error) {
	if err := s.checkOpen("subscribe persistent " + group); err != nil {
		return nil, err
	}
	set := pinnedGroupSettings()
	err := s.client.CreatePersistentSubscriptionToAll(ctx, group, esdb.PersistentAllSubscriptionOptions{
		Settings: &set, StartFrom: esdb.Start{}, Filter: userStreamsFilter(),
	})
	if err != nil && !isCode(err, esdb.ErrorCodeResourceAlreadyExists) {
		return nil, fmt.Errorf("create persistent subscription group %s: %w", group, err)
	}
	run, cancel := context.WithCancel(ctx)
	stopOnClose := context.AfterFunc(s.life, cancel)
	connect := func() (*esdb.PersistentSubscription, error) {
		return s.client.SubscribeToPersistentSubscriptionToAll(run, group,
			esdb.SubscribeToPersistentSubscriptionOptions{BufferSize: uint32(s.opts.PersistentBufferSize)})
	}
	cur, err := connect()
	if err != nil {
		stopOnClose()
		cancel()
		return nil, fmt.Errorf("connect to persistent subscription group %s: %w", group, err)
	}
	p := &PersistentSubscription{ch: make(chan PersistentEvent, s.opts.PersistentBufferSize), cur: cur}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer close(p.ch)
		defer stopOnClose()
		defer cancel()
		err := s.consume(run, ctx, p, connect)
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
	}()
	return p, nil
}

// consume feeds p from its connection and reconnects when it drops.
func (s *Store) consume(run, caller context.Context, p *PersistentSubscription, connect func() (*esdb.PersistentSubscription, error)) error {
	var err error
	failures, wait := 0, time.Duration(0)
	for {
		p.mu.Lock()
		cur := p.cur
		p.mu.Unlock()
		if cur != nil {
			var delivered bool
			delivered, err = s.feedPersistent(run, p, cur)
			p.mu.Lock() // no Ack may send while the stream closes
			cur.Close()
			p.cur = nil
			p.mu.Unlock()
			if delivered {
				failures, wait = 0, 0
			}
		}
		switch {
		case caller.Err() != nil:
			return nil
		case s.life.Err() != nil:
			return eventstore.ErrClosed
		}
		if failures++; failures > s.opts.MaxResubscribes {
			return fmt.Errorf("%d reconnections in a row failed: %w", failures-1, err)
		}
		select {
		case <-time.After(wait):
		case <-run.Done():
			continue
		}
		wait = min(max(2*wait, s.opts.ResubscribeBackoff), maxBackoff)
		next, cerr := connect()
		if cerr != nil {
			err, next = fmt.Errorf("reconnect: %w", cerr), nil
		}
		p.mu.Lock()
		p.cur = next
		p.mu.Unlock()
	}
}

// feedPersistent delivers the events of one connection until it drops.
func (s *Store) feedPersistent(run context.Context, p *PersistentSubscription, cur *esdb.PersistentSubscription) (bool, error) {
	delivered := false
	for {
		ev := cur.Recv()
		if ev.SubscriptionDropped != nil {
			return delivered, fmt.Errorf("persistent subscription dropped: %w", ev.SubscriptionDropped.Error)
		}
		if ev.EventAppeared == nil {
			continue
		}
		raw := ev.EventAppeared.Event
		r := raw.OriginalEvent()
		if r == nil || !isUserEvent(r.StreamID, r.EventType) {
			_ = cur.Ack(raw) // not ours: nothing to handle
			continue
		}
		n, err := s.idx.ordinalOf(run, r.Position)
		if err != nil {
			return delivered, fmt.Errorf("number %s@%d: %w", r.StreamID, r.EventNumber, err)
		}
		pe := PersistentEvent{RecordedEvent: fromRecorded(r, n), Retries: ev.EventAppeared.RetryCount, via: cur, raw: raw}
		select {
		case p.ch <- pe:
			delivered = true
		case <-run.Done():
			return delivered, run.Err()
		}
	}
}
