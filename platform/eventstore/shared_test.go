package eventstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

func TestSharedReads_SameKeyOneReadOtherKeysTheirOwnFailuresNotShared(t *testing.T) {
	ctx := context.Background()
	var shared eventstore.SharedReads[int]
	var reads atomic.Int64
	read := func(pos uint64, fail bool) func() ([]eventstore.RecordedEvent, error) {
		return func() ([]eventstore.RecordedEvent, error) {
			reads.Add(1)
			time.Sleep(20 * time.Millisecond) // the others ask meanwhile
			if fail {
				return nil, errors.New("read failed")
			}
			return []eventstore.RecordedEvent{{Position: pos}}, nil
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs, err := shared.Read(ctx, 1, read(1, false))
			assert.NoError(t, err)
			assert.Equal(t, []eventstore.RecordedEvent{{Position: 1}}, evs)
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), reads.Load(), "four asks of one key: one read")

	evs, err := shared.Read(ctx, 2, read(2, false))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), evs[0].Position)
	assert.Equal(t, int64(2), reads.Load(), "another key reads")

	var failed atomic.Int64
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := shared.Read(ctx, 3, read(3, i == 0)); err != nil {
				failed.Add(1)
			}
		}()
		time.Sleep(time.Millisecond) // the failing one asks first
	}
	wg.Wait()
	assert.Equal(t, int64(1), failed.Load(), "a failed read fails its reader only; the others read alone")
	assert.Equal(t, int64(5), reads.Load())

	for k := range eventstore.SharedKeep { // push key 1 out
		_, err := shared.Read(ctx, 10+k, read(9, false))
		require.NoError(t, err)
	}
	before := reads.Load()
	_, err = shared.Read(ctx, 1, read(1, false))
	require.NoError(t, err)
	assert.Equal(t, before+1, reads.Load(), "only the latest reads are kept")

	slow := make(chan struct{})
	go shared.Read(ctx, 99, func() ([]eventstore.RecordedEvent, error) { <-slow; return nil, nil })
	time.Sleep(5 * time.Millisecond)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = shared.Read(cctx, 99, read(99, false))
	assert.ErrorIs(t, err, context.Canceled, "a waiter whose context ends stops waiting")
	close(slow)
}
