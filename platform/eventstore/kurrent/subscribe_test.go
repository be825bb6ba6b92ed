package kurrent_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

const wait = 15 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	t.Cleanup(cancel)
	return ctx
}

func events(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{
			ID: uuid.Must(uuid.NewV7()), Type: "Tested", SchemaVersion: 1,
			Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), Metadata: []byte(`{}`), OccurredAt: time.Now(),
		}
	}
	return out
}

func ids[E eventstore.EventData | eventstore.RecordedEvent](evs []E) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		switch x := any(e).(type) {
		case eventstore.EventData:
			out[i] = x.ID
		case eventstore.RecordedEvent:
			out[i] = x.ID
		}
	}
	return out
}

// appendAll appends batches of per events to stream, chaining versions.
func appendAll(t *testing.T, s eventstore.Store, stream string, batches, per int, between func()) []eventstore.EventData {
	t.Helper()
	var all []eventstore.EventData
	exp := eventstore.NoStream
	for range batches {
		evs := events(per)
		res, err := s.Append(ctxT(t), stream, exp, evs)
		require.NoError(t, err)
		exp = eventstore.Exact(res.NextVersion)
		all = append(all, evs...)
		if between != nil {
			between()
		}
	}
	return all
}

func collect(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	timeout := time.After(wait)
	for len(out) < n {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription ended after %d of %d events: %v", len(out), n, sub.Err())
			out = append(out, e)
		case <-timeout:
			require.FailNow(t, "subscription too slow", "got %d of %d events", len(out), n)
		}
	}
	return out
}

func requireGapFree(t *testing.T, got []eventstore.RecordedEvent, after uint64) {
	t.Helper()
	for i, e := range got {
		require.Equal(t, after+uint64(i)+1, e.Position, "event %d", i)
	}
}

// waitEnd waits for the subscription's channel to close and returns Err.
func waitEnd(t *testing.T, sub eventstore.Subscription) error {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return sub.Err()
			}
		case <-timeout:
			require.FailNow(t, "the subscription did not end")
		}
	}
}

func TestSubscribe_DroppedByTheServerResumesWithoutLosingOrRepeating(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{SystemEvery: 1})
	s := open(t, srv.ConnString(), kurrent.Options{SubscriptionBuffer: 1})
	before := appendAll(t, s, "acc-"+uuid.NewString(), 20, 10, nil)

	sub, err := s.Subscribe(ctxT(t), 0)
	require.NoError(t, err)
	got := collect(t, sub, 50) // in the middle of catching up
	srv.DropSubscriptions()
	got = append(got, collect(t, sub, 100)...)
	srv.DropSubscriptions()
	got = append(got, collect(t, sub, 50)...)

	live := appendAll(t, s, "acc-"+uuid.NewString(), 10, 5, srv.DropSubscriptions) // dropped while live
	got = append(got, collect(t, sub, 50)...)

	requireGapFree(t, got, 0)
	assert.Equal(t, ids(append(before, live...)), ids(got), "every event once, in order")
	// The two drops while catching up surely hit an open subscription (the
	// events after each came through a new one); the live ones may land
	// while the adapter is between subscriptions.
	assert.GreaterOrEqual(t, srv.Subscriptions(), 3, "the double dropped and the adapter resubscribed")
	select {
	case e := <-sub.Events():
		t.Fatalf("an extra event arrived: %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestSubscribe_GivesUpWithAnErrorWhenTheServerIsGone(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := open(t, srv.ConnString(), kurrent.Options{ResubscribeBackoff: time.Millisecond, MaxResubscribes: 2})
	sub, err := s.Subscribe(ctxT(t), 0)
	require.NoError(t, err)
	srv.Close()
	assert.Error(t, waitEnd(t, sub))
}

func TestSubscribe_EndsWithErrClosedWhenTheStoreCloses(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := open(t, srv.ConnString(), kurrent.Options{})
	sub, err := s.Subscribe(ctxT(t), 0)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.ErrorIs(t, waitEnd(t, sub), eventstore.ErrClosed)
}

func TestSubscribe_AfterBeyondTheHeadWaitsForThatPosition(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := open(t, srv.ConnString(), kurrent.Options{})
	st := "acc-" + uuid.NewString()
	appendAll(t, s, st, 1, 2, nil)
	sub, err := s.Subscribe(ctxT(t), 4)
	require.NoError(t, err)
	evs := events(3)
	_, err = s.Append(ctxT(t), st, eventstore.Exact(1), evs)
	require.NoError(t, err)
	got := collect(t, sub, 1)
	assert.Equal(t, uint64(5), got[0].Position)
	assert.Equal(t, evs[2].ID, got[0].ID)
}

// TestPositions_EveryProcessNumbersTheLogAlike is what makes the ordinal
// mapping honest: stores that share nothing but the server, one of them
// started late, give every event the same global position.
func TestPositions_EveryProcessNumbersTheLogAlike(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{SystemEvery: 1})
	a := open(t, srv.ConnString(), kurrent.Options{PageSize: 7})
	x := "acc-" + uuid.NewString()
	resA, err := a.Append(ctxT(t), x, eventstore.NoStream, events(5))
	require.NoError(t, err)
	srv.AppendSystemEvent()

	b := open(t, srv.ConnString(), kurrent.Options{})
	y := "acc-" + uuid.NewString()
	resB, err := b.Append(ctxT(t), y, eventstore.NoStream, events(4))
	require.NoError(t, err)
	assert.Equal(t, resA.LastPosition+1, resB.FirstPosition, "no gap for the system events between")

	for _, s := range []*kurrent.Store{a, b} {
		all, err := s.ReadAll(ctxT(t), 0, 0)
		require.NoError(t, err)
		requireGapFree(t, all, 0)
		require.Len(t, all, 9)
		assert.Equal(t, resA.FirstPosition, all[0].Position)
		assert.Equal(t, resB.LastPosition, all[8].Position)
		h, err := s.Head(ctxT(t))
		require.NoError(t, err)
		assert.Equal(t, resB.LastPosition, h)
		got, err := s.ReadStream(ctxT(t), y, eventstore.Backward, -1, 1)
		require.NoError(t, err)
		assert.Equal(t, resB.LastPosition, got[0].Position)
	}
}
