package projections_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
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

// BenchmarkRebuildCabinet rebuilds the cabinet from 200,000 events
// (50,000 accounts) on SQLite files; the target is ≥ 50,000 events/s.
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
	seedAccounts(b, store, 50_000)
	cps, err := esbus.NewSQLCheckpoints(ctx, read)
	require.NoError(b, err)
	head, err := store.Head(ctx)
	require.NoError(b, err)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		require.NoError(b, projections.Rebuild(ctx, read, store, cps, cabinet.NewProjector(), nil))
	}
	b.ReportMetric(float64(head)*float64(b.N)/time.Since(start).Seconds(), "events/s")
}
