package cabinet_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/internal/projtest"
	"github.com/kabinet/kabinet/projections/notifications"
)

// BenchmarkGetCounting reads one account's cabinet and unread count, as a
// cabinet GET does, from two goroutines, each read under a context with a
// deadline (a request's). cpu-µs/op is the process's CPU per read.
func BenchmarkGetCounting(b *testing.B) {
	db := sqltest.SQLite(b)
	r := projtest.NewRig(b, db, cabinet.NewProjector(), notifications.NewProjector())
	ids := projtest.Traffic(b, r.Store, 4, 60, 7)
	r.CatchUp(b)
	reader := cabinet.NewReader(db)
	ctx := context.Background()
	v, _, err := reader.GetCounting(ctx, ids[0])
	require.NoError(b, err)
	require.NotNil(b, v)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rctx, cancel := context.WithTimeout(ctx, time.Minute)
			if _, _, err := reader.GetCounting(rctx, ids[0]); err != nil {
				b.Error(err)
			}
			cancel()
		}
	})
}
