package ratelimit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kabinet/kabinet/platform/ratelimit"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// BenchmarkShared_Take is one rate-limited request's cost with the buckets
// in PostgreSQL: one upsert (two statements when refused), from 16
// goroutines over 1,000 client keys.
func BenchmarkShared_Take(b *testing.B) {
	db := sqltest.PG(b)
	l, err := ratelimit.NewShared(context.Background(), db, "bench", 1_000_000, 1_000, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, _, err := l.Take(context.Background(), fmt.Sprintf("ip:10.0.%d.%d", i%1000/250, i%250)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
