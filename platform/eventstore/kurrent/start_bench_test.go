package kurrent

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// benchEvents is the log size of BenchmarkStart: KABINET_BENCH_EVENTS or
// 1,000,000.
func benchEvents(b *testing.B) int {
	if v := os.Getenv("KABINET_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("KABINET_BENCH_EVENTS: %v", err)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkStart measures a Store's start over a log of benchEvents user
// events on the test double: with the index in memory (it reads all of
// $all and keeps every position) and with the index file of an earlier
// run (it reads only the tail written since, here 1,000 events). It
// reports the start's time and the heap the started store holds.
// Run with -benchtime 1x.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	n := benchEvents(b)
	srv := kurrenttest.Start(b, kurrenttest.Options{})
	srv.Fill("bench", n)
	path := filepath.Join(b.TempDir(), "positions.db")
	warm, err := New(ctx, srv.ConnString(), quiet(path))
	if err != nil {
		b.Fatal(err)
	}
	warm.Close()
	srv.Fill("tail", 1000)

	for _, c := range []struct {
		name string
		path string
	}{{"memory", ""}, {"file", path}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				s, err := New(ctx, srv.ConnString(), quiet(c.path))
				if err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(took.Milliseconds()), "start-ms")
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "held-MiB")
				runtime.KeepAlive(s)
				s.Close()
			}
		})
	}
}
