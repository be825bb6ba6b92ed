package eventstoretest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

var subscribeCases = []Case{
	{"Subscribe_FromZeroSeesHistoryThenLiveAppendsInOrder", testSubscribeFromZero},
	{"Subscribe_FromTheMiddleStartsRightAfterIt", testSubscribeFromMiddle},
	{"Subscribe_SlowConsumerLosesNothing", testSubscribeSlowConsumer},
	{"Subscribe_EndsWhenCtxIsCancelled", testSubscribeCancel},
}

func testSubscribeFromZero(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	history := evs(5)
	mustAppend(t, s, st, eventstore.NoStream, history)
	h := head(t, s)

	sub, err := s.Subscribe(ctxT(t), 0)
	require.NoError(t, err)
	past := collect(t, sub, int(h))
	requireGapFree(t, past, 0)
	assert.Equal(t, ids(history), ids(past[len(past)-5:]))

	var live []eventstore.EventData
	for i := range 3 {
		e := evs(2)
		mustAppend(t, s, st, eventstore.Exact(int64(4+2*i)), e)
		live = append(live, e...)
	}
	got := collect(t, sub, 6)
	requireGapFree(t, got, h)
	assert.Equal(t, ids(live), ids(got))
}

func testSubscribeFromMiddle(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	in := evs(10)
	res := mustAppend(t, s, st, eventstore.NoStream, in)
	middle := res.FirstPosition + 3 // the 4th event

	sub, err := s.Subscribe(ctxT(t), middle)
	require.NoError(t, err)
	got := collect(t, sub, 6)
	requireGapFree(t, got, middle)
	assert.Equal(t, ids(in[4:]), ids(got))
}

func testSubscribeSlowConsumer(t *testing.T, s eventstore.Store) {
	const n = 3000 // well beyond any sensible channel buffer
	h0 := head(t, s)
	sub, err := s.Subscribe(ctxT(t), h0)
	require.NoError(t, err)
	st := stream("acc")
	var in []eventstore.EventData
	for i := range n / 100 {
		e := evs(100)
		exp := eventstore.Exact(int64(100*i - 1))
		if i == 0 {
			exp = eventstore.NoStream
		}
		mustAppend(t, s, st, exp, e)
		in = append(in, e...)
	}
	time.Sleep(200 * time.Millisecond) // let the subscription fill its buffer and wait
	got := collect(t, sub, n)
	requireGapFree(t, got, h0)
	assert.Equal(t, ids(in), ids(got))
}

func testSubscribeCancel(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, stream("acc"), eventstore.NoStream, evs(1))
	ctx, cancel := context.WithCancel(ctxT(t))
	sub, err := s.Subscribe(ctx, 0)
	require.NoError(t, err)
	collect(t, sub, 1)
	cancel()
	timeout := time.After(waitLong)
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				assert.NoError(t, sub.Err(), "a cancelled subscription ends without error")
				return
			}
		case <-timeout:
			require.FailNow(t, "the subscription did not end after cancel")
		}
	}
}
