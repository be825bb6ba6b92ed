package eventstoretest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

var concurrencyCases = []Case{
	{"Concurrency_TwoWritersAtOneVersionExactlyOneWins", testTwoWriters},
	{"Concurrency_FiftyWritersFiftyStreamsEveryEventOnceGapFree", testFiftyWriters},
	{"Concurrency_OneConflictAmongConcurrentAppendsFailsAlone", testOneConflictAmongMany},
}

type outcome struct {
	res eventstore.AppendResult
	err error
}

// race runs the appends at once and returns their outcomes in order.
func race(t *testing.T, s eventstore.Store, appends []func() (eventstore.AppendResult, error)) []outcome {
	t.Helper()
	out := make([]outcome, len(appends))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range appends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i].res, out[i].err = f()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func testTwoWriters(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	for round := range 20 {
		st := stream("acc")
		exp := eventstore.NoStream // odd rounds race on an existing stream
		if round%2 == 1 {
			mustAppend(t, s, st, eventstore.NoStream, evs(1))
			exp = eventstore.Exact(0)
		}
		batches := [][]eventstore.EventData{evs(2), evs(2)}
		out := race(t, s, []func() (eventstore.AppendResult, error){
			func() (eventstore.AppendResult, error) { return s.Append(ctx, st, exp, batches[0]) },
			func() (eventstore.AppendResult, error) { return s.Append(ctx, st, exp, batches[1]) },
		})
		var winner = -1
		for i, o := range out {
			if o.err == nil {
				require.Equal(t, -1, winner, "round %d: both writers won", round)
				winner = i
			}
		}
		require.NotEqual(t, -1, winner, "round %d: nobody won: %v / %v", round, out[0].err, out[1].err)
		loser := 1 - winner
		requireConflict(t, out[loser].err, st, exp, out[winner].res.NextVersion)
		got := readStream(t, s, st)
		assert.Equal(t, ids(batches[winner]), ids(got[len(got)-2:]), "round %d: the winner's events are the stream's tail", round)
		assert.Len(t, got, int(out[winner].res.NextVersion)+1)
	}
}

func testFiftyWriters(t *testing.T, s eventstore.Store) {
	const writers, appends, per = 50, 10, 2
	h0 := head(t, s)
	ctx := ctxT(t)
	streams := make([]string, writers)
	for i := range streams {
		streams[i] = stream(fmt.Sprintf("w%02d", i))
	}
	results := make([][]eventstore.AppendResult, writers)
	sent := make([][]uuid.UUID, writers)
	errs := make(chan error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			exp := eventstore.NoStream
			for range appends {
				e := evs(per)
				res, err := s.Append(ctx, streams[w], exp, e)
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				results[w] = append(results[w], res)
				sent[w] = append(sent[w], ids(e)...)
				exp = eventstore.Exact(res.NextVersion)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	all := readAllAfter(t, s, h0)
	require.Len(t, all, writers*appends*per)
	requireGapFree(t, all, h0)
	byID := make(map[uuid.UUID]eventstore.RecordedEvent, len(all))
	for _, e := range all {
		_, dup := byID[e.ID]
		require.False(t, dup, "event %s twice in the log", e.ID)
		byID[e.ID] = e
	}
	for w := range writers {
		for i, id := range sent[w] {
			e, ok := byID[id]
			require.True(t, ok, "writer %d event %d missing", w, i)
			assert.Equal(t, streams[w], e.StreamID)
			assert.Equal(t, int64(i), e.Version)
		}
		for i, res := range results[w] {
			first := byID[sent[w][i*per]]
			last := byID[sent[w][i*per+per-1]]
			assert.Equal(t, first.Position, res.FirstPosition, "writer %d append %d", w, i)
			assert.Equal(t, last.Position, res.LastPosition, "writer %d append %d", w, i)
		}
	}
}

func testOneConflictAmongMany(t *testing.T, s eventstore.Store) {
	const n = 20
	ctx := ctxT(t)
	bad := stream("bad")
	mustAppend(t, s, bad, eventstore.NoStream, evs(1))
	good := make([]string, n)
	appends := make([]func() (eventstore.AppendResult, error), 0, n+1)
	for i := range good {
		good[i] = stream("good")
		appends = append(appends, func() (eventstore.AppendResult, error) {
			return s.Append(ctx, good[i], eventstore.NoStream, evs(1))
		})
	}
	appends = append(appends, func() (eventstore.AppendResult, error) {
		return s.Append(ctx, bad, eventstore.Exact(5), evs(1))
	})
	out := race(t, s, appends)
	for i := range good {
		require.NoError(t, out[i].err, "append %d", i)
		assert.Len(t, readStream(t, s, good[i]), 1)
	}
	requireConflict(t, out[n].err, bad, eventstore.Exact(5), 0)
	assert.False(t, errors.Is(out[n].err, eventstore.ErrClosed))
	assert.Len(t, readStream(t, s, bad), 1)
}
