package kurrent_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// TestAppend_NotLeaderIsFollowedToTheLeader connects to a follower (the
// leader moved): its NotLeader answer names the leader, the client
// reconnects there and the adapter sends the append again, once.
func TestAppend_NotLeaderIsFollowedToTheLeader(t *testing.T) {
	leader := kurrenttest.Start(t, kurrenttest.Options{})
	follower, err := kurrenttest.NewFollower(leader)
	require.NoError(t, err)
	t.Cleanup(follower.Close)
	t.Logf("injected: the adapter is pointed at a follower (%s); the leader is %s", follower.Addr(), leader.Addr())

	s := open(t, follower.ConnString(), kurrent.Options{})
	stream := "acc-" + uuid.NewString()
	evs := events(3)
	res, err := s.Append(ctxT(t), stream, eventstore.NoStream, evs)
	require.NoError(t, err, "the append reached the leader")
	assert.EqualValues(t, 2, res.NextVersion)

	// The events are in the leader's log once each.
	direct := open(t, leader.ConnString(), kurrent.Options{})
	got, err := direct.ReadStream(ctxT(t), stream, eventstore.Forward, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, ids(evs), ids(got), "appended once, on the leader")
	more := events(2)
	_, err = s.Append(ctxT(t), stream, eventstore.Exact(res.NextVersion), more)
	require.NoError(t, err, "later appends go to the leader directly")
}

// TestSubscribe_ServerRestartResumesWithoutLosingOrRepeating restarts the
// double (every connection cut, the same log behind the same address) in
// the middle of a catch-up and again while live: the adapter reconnects,
// resubscribes after the last event it delivered, and nothing is skipped
// or repeated; appends after the restart succeed.
func TestSubscribe_ServerRestartResumesWithoutLosingOrRepeating(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{SystemEvery: 2})
	s := open(t, srv.ConnString(), kurrent.Options{SubscriptionBuffer: 1})
	before := appendAll(t, s, "acc-"+uuid.NewString(), 10, 10, nil)
	sub, err := s.Subscribe(ctxT(t), 0)
	require.NoError(t, err)
	got := collect(t, sub, 40)
	t.Log("injected: server restart while catching up")
	require.NoError(t, srv.Restart())
	got = append(got, collect(t, sub, 60)...)

	t.Log("injected: server restart while live")
	require.NoError(t, srv.Restart())
	live := appendAll(t, s, "acc-"+uuid.NewString(), 5, 4, nil)
	got = append(got, collect(t, sub, 20)...)

	requireGapFree(t, got, 0)
	assert.Equal(t, ids(append(before, live...)), ids(got), "every event once, in order")
	assert.GreaterOrEqual(t, srv.Subscriptions(), 2, "the adapter resubscribed after the restart")
	t.Logf("saw: %d events in order across two restarts, %d subscriptions opened", len(got), srv.Subscriptions())
}

// TestClose_AppendsUnderWayGetTheirOutcome closes the store while 16
// writers append: an append answered with ErrClosed wrote nothing, every
// other one succeeded and its events are where it said; none fails with
// the connection closed under it.
func TestClose_AppendsUnderWayGetTheirOutcome(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s, err := kurrent.New(ctxT(t), srv.ConnString(), kurrent.Options{})
	require.NoError(t, err)
	type result struct {
		stream string
		evs    []eventstore.EventData
		res    eventstore.AppendResult
		err    error
	}
	results := make(chan result, 4096)
	var wg sync.WaitGroup
	started := make(chan struct{}, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				stream := fmt.Sprintf("acc-%d-%d-%s", w, i, uuid.NewString())
				evs := events(2)
				res, err := s.Append(context.Background(), stream, eventstore.NoStream, evs)
				results <- result{stream, evs, res, err}
				if i == 0 {
					started <- struct{}{}
				}
				if err != nil {
					return
				}
			}
		}()
	}
	for range 16 {
		<-started
	}
	require.NoError(t, s.Close())
	wg.Wait()
	close(results)

	check := open(t, srv.ConnString(), kurrent.Options{})
	var ok, refused int
	for r := range results {
		got, err := check.ReadStream(ctxT(t), r.stream, eventstore.Forward, 0, 10)
		require.NoError(t, err)
		if r.err != nil {
			require.ErrorIs(t, r.err, eventstore.ErrClosed, "an append under way at Close gets its outcome")
			assert.Empty(t, got, "an append refused as closed wrote nothing")
			refused++
			continue
		}
		ok++
		require.Equal(t, ids(r.evs), ids(got))
		assert.Equal(t, r.res.FirstPosition, got[0].Position)
		assert.Equal(t, r.res.LastPosition, got[1].Position)
	}
	assert.Equal(t, 16, refused, "each writer's append after Close was refused")
	t.Logf("%d appends succeeded, %d refused", ok, refused)
}
