package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/ratelimit"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// instances opens n pools on one PostgreSQL schema, as n service instances.
func instances(t *testing.T, n int) []*sqldb.DB {
	dsn := sqltest.PGDSN(t)
	var dbs []*sqldb.DB
	for range n {
		db, err := sqldb.Open(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dbs
}

func TestShared_TwoInstancesDrawFromOneBucket(t *testing.T) {
	ctx := context.Background()
	dbs := instances(t, 2)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var ls []*ratelimit.Shared
	for _, db := range dbs {
		l, err := ratelimit.NewShared(ctx, db, "reg", 60, 3, clock) // one a second, bursts of three
		require.NoError(t, err)
		ls = append(ls, l)
	}
	for i := range 3 {
		ok, _, err := ls[i%2].Take(ctx, "ip:1.2.3.4")
		require.NoError(t, err)
		assert.True(t, ok, "take %d", i)
	}
	ok, wait, err := ls[1].Take(ctx, "ip:1.2.3.4")
	require.NoError(t, err)
	assert.False(t, ok, "the burst is spent across both instances")
	assert.InDelta(t, time.Second, wait, float64(time.Millisecond))

	ok, _, err = ls[0].Take(ctx, "ip:5.6.7.8")
	require.NoError(t, err)
	assert.True(t, ok, "another key has its own bucket")

	now = now.Add(time.Second)
	ok, _, err = ls[0].Take(ctx, "ip:1.2.3.4")
	require.NoError(t, err)
	assert.True(t, ok, "a second refills one token")
	ok, _, err = ls[1].Take(ctx, "ip:1.2.3.4")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestShared_ConcurrentTakesNeverExceedTheBurst(t *testing.T) {
	ctx := context.Background()
	dbs := instances(t, 4)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var ls []*ratelimit.Shared
	for _, db := range dbs {
		l, err := ratelimit.NewShared(ctx, db, "reg", 1, 5, func() time.Time { return now })
		require.NoError(t, err)
		ls = append(ls, l)
	}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := ls[i%4].Take(ctx, "ip:9.9.9.9")
			assert.NoError(t, err)
			if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(5), allowed.Load())
}

func TestShared_NamesKeepLimitersApart(t *testing.T) {
	ctx := context.Background()
	db := instances(t, 1)[0]
	reg, err := ratelimit.NewShared(ctx, db, "reg", 1, 1, nil)
	require.NoError(t, err)
	pay, err := ratelimit.NewShared(ctx, db, "pay", 1, 1, nil)
	require.NoError(t, err)
	ok, _, _ := reg.Take(ctx, "ip:1.1.1.1")
	require.True(t, ok)
	ok, _, _ = pay.Take(ctx, "ip:1.1.1.1")
	assert.True(t, ok)
}

func TestShared_RefusesSQLite(t *testing.T) {
	_, err := ratelimit.NewShared(context.Background(), sqltest.SQLite(t), "reg", 60, 5, nil)
	assert.Error(t, err)
}
