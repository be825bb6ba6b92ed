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

	_, err = ra.after(ctx, store, 3, 255)
	require.NoError(t, err)
	_, err = ra.after(ctx, store, 2, 10)
	require.NoError(t, err)
	assert.Equal(t, int64(3), store.reads.Load(), "another position or limit reads again")

	clock = clock.Add(readAheadTTL)
	_, err = ra.after(ctx, store, 2, 255)
	require.NoError(t, err)
	assert.Equal(t, int64(4), store.reads.Load(), "a read is shared only within its window")

}
