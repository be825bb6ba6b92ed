package readapi_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/readapi"
)

// BenchmarkHistoryFirstPage reads the first page (50 events) of an account
// with 10,000 events, on SQLite, and reports p99; the target is ≤ 10 ms.
func BenchmarkHistoryFirstPage(b *testing.B) {
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(ctx, filepath.Join(b.TempDir(), "events.db"), true)
	require.NoError(b, err)
	defer db.Close()
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(b, err)
	defer store.Close()
	id := uuid.Must(uuid.NewV7())
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	enc := func(e domain.Event) eventstore.EventData {
		typ, v, data, err := domain.EncodeEvent(e)
		require.NoError(b, err)
		return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: v, Data: data,
			Metadata: []byte(`{"actor_id":"x","actor_role":"citizen","correlation_id":"c","causation_id":"c","source_ip":"10.0.0.1"}`), OccurredAt: now}
	}
	batch := []eventstore.EventData{enc(domain.AccountRegistered{AccountID: id, Surname: "Иванов", GivenNames: "Пётр", Citizenship: "UZ", Phone: "+79120000000", OccurredAt: now})}
	for len(batch) < 10_000 {
		batch = append(batch, enc(domain.ContactConfirmationRequested{Channel: domain.ChannelPhone, Value: "+79120000000",
			CodeHash: domain.CodeHashAlg + "00", ExpiresAt: now, ResendAfter: now, OccurredAt: now}))
	}
	for i := 0; i < len(batch); i += 1000 {
		_, err := store.Append(ctx, "account-"+id.String(), eventstore.Any, batch[i:i+1000])
		require.NoError(b, err)
	}
	// Other accounts around it, so the table is not just this stream.
	for i := 0; i < 2000; i++ {
		other := uuid.Must(uuid.NewV7())
		_, err := store.Append(ctx, fmt.Sprintf("account-%s", other), eventstore.NoStream, []eventstore.EventData{
			enc(domain.AccountRegistered{AccountID: other, Surname: "Ли", GivenNames: "Анна", Citizenship: "CN", Email: "a@example.com", OccurredAt: now})})
		require.NoError(b, err)
	}
	h := readapi.NewHistories(store)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		items, more, err := h.Page(ctx, id, 0, 50)
		lat = append(lat, time.Since(start))
		if err != nil || len(items) != 50 || !more {
			b.Fatalf("page: %d items, more=%v, err=%v", len(items), more, err)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
}
