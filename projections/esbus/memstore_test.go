package esbus_test

import (
	"context"
	"sync"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// memStore is a minimal in-memory eventstore.Store, a test double for the
// subscriber's unit tests (appends with Any only, idempotent by the first
// event id only; the SQL store runs the conformance suite). failAfter, when set, breaks every subscription once
// it has sent that many events, to exercise resubscription.
type memStore struct {
	mu     sync.Mutex
	log    []eventstore.RecordedEvent
	wake   chan struct{}
	closed bool

	failAfter int
	subs      int // Subscribe calls so far
}

func newMemStore() *memStore { return &memStore{wake: make(chan struct{})} }

func (m *memStore) Append(_ context.Context, stream string, _ eventstore.ExpectedVersion, events []eventstore.EventData) (eventstore.AppendResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	version := int64(-1)
	for _, e := range m.log {
		if e.StreamID == stream {
			version = e.Version
		}
		if e.ID == events[0].ID { // a retried append: idempotent
			return eventstore.AppendResult{FirstPosition: e.Position, LastPosition: e.Position, NextVersion: e.Version}, nil
		}
	}
	res := eventstore.AppendResult{FirstPosition: uint64(len(m.log)) + 1}
	for _, e := range events {
		version++
		m.log = append(m.log, eventstore.RecordedEvent{
			Position: uint64(len(m.log)) + 1, StreamID: stream, Version: version, ID: e.ID,
			Type: e.Type, SchemaVersion: e.SchemaVersion, Data: e.Data, Metadata: e.Metadata,
			OccurredAt: e.OccurredAt, RecordedAt: time.Now(),
		})
	}
	res.LastPosition, res.NextVersion = uint64(len(m.log)), version
	close(m.wake)
	m.wake = make(chan struct{})
	return res, nil
}

func (m *memStore) ReadStream(context.Context, string, eventstore.Direction, int64, int) ([]eventstore.RecordedEvent, error) {
	panic("not used")
}

func (m *memStore) ReadAll(_ context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if after >= uint64(len(m.log)) {
		return nil, nil
	}
	out := m.log[after:]
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return append([]eventstore.RecordedEvent(nil), out...), nil
}

func (m *memStore) Head(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.log)), nil
}

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func (m *memStore) Subscribe(ctx context.Context, after uint64) (eventstore.Subscription, error) {
	m.mu.Lock()
	m.subs++
	m.mu.Unlock()
	s := &memSub{ch: make(chan eventstore.RecordedEvent)}
	go func() {
		defer close(s.ch)
		sent := 0
		for {
			m.mu.Lock()
			var next *eventstore.RecordedEvent
			if after < uint64(len(m.log)) {
				ev := m.log[after]
				next = &ev
			}
			wake := m.wake
			m.mu.Unlock()
			if next == nil {
				select {
				case <-wake:
					continue
				case <-ctx.Done():
					return
				}
			}
			if m.failAfter > 0 && sent == m.failAfter {
				s.setErr(context.DeadlineExceeded) // any error: "the connection broke"
				return
			}
			select {
			case s.ch <- *next:
				after = next.Position
				sent++
			case <-ctx.Done():
				return
			}
		}
	}()
	return s, nil
}

func (m *memStore) subscribeCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.subs
}

type memSub struct {
	ch  chan eventstore.RecordedEvent
	mu  sync.Mutex
	err error
}

func (s *memSub) Events() <-chan eventstore.RecordedEvent { return s.ch }

func (s *memSub) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *memSub) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}
