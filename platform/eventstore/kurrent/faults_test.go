package kurrent_test

import (
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
