package projections_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/esbus"
)

// seedAccounts appends n accounts of four events each (registered, code
// requested, a wrong attempt, confirmed) from 32 concurrent writers.
func seedAccounts(tb testing.TB, store eventstore.Store, n int) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	enc := func(e domain.Event) eventstore.EventData {
		typ, v, data, err := domain.EncodeEvent(e)
		require.NoError(tb, err)
		return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: v, Data: data,
			Metadata: []byte(`{"actor_role":"citizen"}`), OccurredAt: now}
	}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				id := uuid.Must(uuid.NewV7())
				phone := fmt.Sprintf("+79%09d", i)
				evs := []eventstore.EventData{
					enc(domain.AccountRegistered{AccountID: id, Surname: "Иванов", GivenNames: "Пётр", Citizenship: "UZ", Phone: phone, OccurredAt: now}),
					enc(domain.ContactConfirmationRequested{Channel: domain.ChannelPhone, Value: phone, CodeHash: "x", ExpiresAt: now.Add(15 * time.Minute), ResendAfter: now.Add(time.Minute), OccurredAt: now}),
					enc(domain.ContactConfirmationFailed{Channel: domain.ChannelPhone, AttemptsLeft: 2, OccurredAt: now}),
					enc(domain.ContactConfirmed{Channel: domain.ChannelPhone, Value: phone, OccurredAt: now}),
				}
				_, err := store.Append(ctx, "account-"+id.String(), eventstore.NoStream, evs)
				if err != nil {
					panic(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
}

// benchAccounts is how many accounts the rebuild benchmark seeds (four
// events each): KABINET_BENCH_ACCOUNTS, or 50,000 (200,000 events).
func benchAccounts(b *testing.B) int {
	v := os.Getenv("KABINET_BENCH_ACCOUNTS")
	if v == "" {
		return 50_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("KABINET_BENCH_ACCOUNTS=%q: want a positive number", v)
	}
	return n
}

// BenchmarkRebuildCabinet rebuilds the cabinet from benchAccounts × 4
// events on SQLite files; the target is ≥ 60,000 events/s at 200,000 as at
// 2,000,000 events (KABINET_BENCH_ACCOUNTS=500000). It reports the heap in
// use at the rebuild's peak, sampled, so a rebuild that holds the log in
// memory shows.
func BenchmarkRebuildCabinet(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	events, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "events.db"), true)
	require.NoError(b, err)
	defer events.Close()
	read, err := sqldb.OpenSQLite(ctx, filepath.Join(dir, "read.db"), false)
	require.NoError(b, err)
	defer read.Close()
	store, err := sqlstore.New(ctx, events, sqlstore.Options{})
	require.NoError(b, err)
	defer store.Close()
	seedAccounts(b, store, benchAccounts(b))
	cps, err := esbus.NewSQLCheckpoints(ctx, read)
	require.NoError(b, err)
	head, err := store.Head(ctx)
	require.NoError(b, err)
	runtime.GC()
	peak, stop := sampleHeap()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		require.NoError(b, projections.Rebuild(ctx, read, store, cps, cabinet.NewProjector(), nil))
	}
	b.ReportMetric(float64(head)*float64(b.N)/time.Since(start).Seconds(), "events/s")
	stop()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}

// sampleHeap samples the heap in use every 20 ms until stop, keeping the
// largest figure.
func sampleHeap() (*atomic.Uint64, func()) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return &peak, func() { close(done); <-finished }
}
