package projections

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// countingStore counts ReadAll calls, each of which takes a while.
type countingStore struct {
	eventstore.Store
	reads atomic.Int64
}

func (s *countingStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	s.reads.Add(1)
	time.Sleep(20 * time.Millisecond) // the others ask meanwhile
	return s.Store.ReadAll(ctx, after, limit)
}

func TestReadAhead_ProjectorsShareTheReadOfTheEventsAfterOnePosition(t *testing.T) {
	ctx := context.Background()
	inner, err := sqlstore.New(ctx, sqltest.SQLite(t), sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { inner.Close() })
	for i := range 5 {
		_, err := inner.Append(ctx, fmt.Sprintf("account-%d", i), eventstore.NoStream, []eventstore.EventData{{
			ID: uuid.New(), Type: "AccountRegistered", SchemaVersion: 1, Data: []byte(`{}`), OccurredAt: time.Now(),
		}})
		require.NoError(t, err)
	}
	store := &countingStore{Store: inner}
	clock := time.Now()
	ra := &readAhead{now: func() time.Time { return clock }}

	var wg sync.WaitGroup
	got := make([][]eventstore.RecordedEvent, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs, err := ra.after(ctx, store, 2, 255)
			assert.NoError(t, err)
			got[i] = evs
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), store.reads.Load(), "four projectors at the same event: one read")
	for _, evs := range got {
		require.Len(t, evs, 3)
		assert.Equal(t, uint64(3), evs[0].Position)
		assert.Equal(t, uint64(5), evs[2].Position)
	}

	_, err = ra.after(ctx, store, 5, 255)
	require.NoError(t, err)
	assert.Equal(t, int64(2), store.reads.Load(), "an ask past the events read reads the store")

	clock = clock.Add(readAheadTTL)
	_, err = ra.after(ctx, store, 5, 255)
	require.NoError(t, err)
	assert.Equal(t, int64(3), store.reads.Load(), "a read is shared only within its window")
}

// Projectors at different positions take their batches from the events
// another one read, as far as those go, and read the store only past them.
func TestReadAhead_ProjectorsBehindTakeTheirBatchesFromTheEventsReadLast(t *testing.T) {
	ctx := context.Background()
	inner, err := sqlstore.New(ctx, sqltest.SQLite(t), sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { inner.Close() })
	appendN := func(n int) {
		for range n {
			_, err := inner.Append(ctx, "account-"+uuid.NewString(), eventstore.NoStream, []eventstore.EventData{{
				ID: uuid.New(), Type: "AccountRegistered", SchemaVersion: 1, Data: []byte(`{}`), OccurredAt: time.Now(),
			}})
			require.NoError(t, err)
		}
	}
	appendN(10)
	store := &countingStore{Store: inner}
	clock := time.Now()
	ra := &readAhead{now: func() time.Time { return clock }}
	positions := func(evs []eventstore.RecordedEvent) []uint64 {
		var ps []uint64
		for _, e := range evs {
			ps = append(ps, e.Position)
		}
		return ps
	}

	evs, err := ra.after(ctx, store, 1, 255)
	require.NoError(t, err)
	require.Len(t, evs, 9)
	for _, tc := range []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{4, 255, []uint64{5, 6, 7, 8, 9, 10}},
		{7, 2, []uint64{8, 9}},
		{9, 255, []uint64{10}},
	} {
		evs, err := ra.after(ctx, store, tc.after, tc.limit)
		require.NoError(t, err)
		assert.Equal(t, tc.want, positions(evs), "after %d", tc.after)
	}
	assert.Equal(t, int64(1), store.reads.Load(), "asks within the events read take them from there")

	appendN(3)
	evs, err = ra.after(ctx, store, 10, 255)
	require.NoError(t, err)
	assert.Equal(t, []uint64{11, 12, 13}, positions(evs), "past them, the store")
	evs, err = ra.after(ctx, store, 5, 255)
	require.NoError(t, err)
	assert.Equal(t, []uint64{6, 7, 8, 9, 10, 11, 12, 13}, positions(evs), "a read continuing the kept events extends them")
	assert.Equal(t, int64(2), store.reads.Load())

	evs, err = ra.after(ctx, store, 7, 3)
	require.NoError(t, err)
	assert.Equal(t, []uint64{8, 9, 10}, positions(evs), "the limit holds for kept events too")
	assert.Equal(t, int64(2), store.reads.Load())

	clock = clock.Add(aheadKeepFor)
	_, err = ra.after(ctx, store, 5, 255)
	require.NoError(t, err)
	assert.Equal(t, int64(3), store.reads.Load(), "kept events answer only for a while")
}
