package kurrent_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// worker acks everything it gets and records it.
type worker struct {
	mu  sync.Mutex
	got []eventstore.RecordedEvent
}

func (w *worker) run(t *testing.T, sub *kurrent.PersistentSubscription) {
	for e := range sub.Events() {
		w.mu.Lock()
		w.got = append(w.got, e.RecordedEvent)
		w.mu.Unlock()
		if err := sub.Ack(e); err != nil {
			t.Errorf("ack: %v", err)
		}
	}
}

func (w *worker) events() []eventstore.RecordedEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), w.got...)
}

func TestSubscribePersistent_PinnedGroupKeepsEachStreamWithOneWorkerInOrder(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{SystemEvery: 1})
	s := open(t, srv.ConnString(), kurrent.Options{PersistentBufferSize: 4})
	ctx := ctxT(t)
	workers := []*worker{{}, {}}
	for _, w := range workers {
		sub, err := s.SubscribePersistent(ctx, "projector")
		require.NoError(t, err, "the second call joins the group the first created")
		go w.run(t, sub)
	}
	const streams, batches, per = 6, 4, 3
	names := make([]string, streams)
	for i := range names {
		names[i] = "acc-" + uuid.NewString()
	}
	for b := range batches {
		for _, st := range names {
			exp := eventstore.Exact(int64(b*per - 1))
			if b == 0 {
				exp = eventstore.NoStream
			}
			_, err := s.Append(ctx, st, exp, events(per))
			require.NoError(t, err)
		}
	}
	require.Eventually(t, func() bool {
		return len(workers[0].events())+len(workers[1].events()) == streams*batches*per
	}, wait, 10*time.Millisecond)

	owner := map[string]int{}
	for i, w := range workers {
		last := map[string]int64{}
		for _, e := range w.events() {
			if o, ok := owner[e.StreamID]; ok {
				assert.Equal(t, o, i, "stream %s went to two workers", e.StreamID)
			}
			owner[e.StreamID] = i
			prev, seen := last[e.StreamID]
			if seen {
				assert.Equal(t, prev+1, e.Version, "stream %s out of order", e.StreamID)
			} else {
				assert.Equal(t, int64(0), e.Version)
			}
			last[e.StreamID] = e.Version
			assert.Equal(t, "Tested", e.Type, "no system event reaches a worker")
		}
	}
	assert.Len(t, owner, streams)
	assert.NotEmpty(t, workers[0].events(), "both workers got a share")
	assert.NotEmpty(t, workers[1].events(), "both workers got a share")

	all, err := s.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	byID := map[uuid.UUID]uint64{}
	for _, e := range all {
		byID[e.ID] = e.Position
	}
	for _, w := range workers {
		for _, e := range w.events() {
			assert.Equal(t, byID[e.ID], e.Position, "the same global positions as ReadAll")
		}
	}
}

func TestSubscribePersistent_NackRetryDeliversTheEventAgain(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := open(t, srv.ConnString(), kurrent.Options{})
	ctx := ctxT(t)
	sub, err := s.SubscribePersistent(ctx, "retrying")
	require.NoError(t, err)
	evs := events(2)
	_, err = s.Append(ctx, "acc-"+uuid.NewString(), eventstore.NoStream, evs)
	require.NoError(t, err)

	next := func() kurrent.PersistentEvent {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "ended: %v", sub.Err())
			return e
		case <-time.After(wait):
			require.FailNow(t, "no event")
			return kurrent.PersistentEvent{}
		}
	}
	first := next()
	require.Equal(t, evs[0].ID, first.ID)
	require.NoError(t, sub.Nack(first, kurrent.Retry, "handler failed"))
	second := next()
	require.NoError(t, sub.Ack(second))
	again := next()
	assert.Equal(t, evs[0].ID, again.ID, "the nacked event comes again")
	assert.Equal(t, 1, again.Retries)
	assert.Equal(t, first.Position, again.Position)
	require.NoError(t, sub.Ack(again))
}
