package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

var appT0 = time.Date(2026, time.April, 15, 9, 0, 0, 0, time.UTC)

func newTestID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// openStore opens an event store over db, closed when the test ends; each
// call is one more instance sharing db.
func openStore(t *testing.T, db *sqldb.DB) eventstore.Store {
	t.Helper()
	s, err := sqlstore.New(context.Background(), db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestApplicationNumbers_ConcurrentTakersOnTwoInstancesGetDistinctNumbers(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		instances := []*ApplicationNumbers{
			NewApplicationNumbers(openStore(t, db), newTestID),
			NewApplicationNumbers(openStore(t, db), newTestID),
		}
		const n = 40
		numbers := make([]string, n)
		apps := make([]uuid.UUID, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			apps[i] = newTestID()
			go func() {
				defer wg.Done()
				num, err := instances[i%2].Next(ctx, 2026, apps[i], newTestID(), appT0, Metadata{Command: "SubmitApplication"})
				assert.NoError(t, err)
				numbers[i] = num
			}()
		}
		wg.Wait()
		recs, err := openStore(t, db).ReadStream(ctx, "appnumbers-2026", eventstore.Forward, 0, 100)
		require.NoError(t, err)
		require.Len(t, recs, n)
		for _, rec := range recs {
			var e applicationNumbered
			require.NoError(t, json.Unmarshal(rec.Data, &e))
			assert.Equal(t, fmt.Sprintf("2026-%06d", rec.Version+1), e.Number, "version v holds number v+1")
			i := slices.Index(apps, e.ApplicationID)
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, numbers[i], e.Number, "the event names the application that got the number")
		}
		seen := map[string]bool{}
		for _, num := range numbers {
			assert.True(t, domain.ValidApplicationNumber(num), num)
			assert.False(t, seen[num], "duplicate %s", num)
			seen[num] = true
		}
		assert.Len(t, seen, n)
		assert.True(t, seen["2026-000001"] && seen["2026-000040"], "no gaps when nothing is refused: %v", numbers)
	})
}

func TestApplicationNumbers_EachYearCountsFromOne(t *testing.T) {
	ctx := context.Background()
	nums := NewApplicationNumbers(openStore(t, sqltest.SQLite(t)), newTestID)
	a, err := nums.Next(ctx, 2026, newTestID(), newTestID(), appT0, Metadata{})
	require.NoError(t, err)
	b, err := nums.Next(ctx, 2027, newTestID(), newTestID(), appT0, Metadata{})
	require.NoError(t, err)
	c, err := nums.Next(ctx, 2026, newTestID(), newTestID(), appT0, Metadata{})
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-000001", "2027-000001", "2026-000002"}, []string{a, b, c})
}

func TestApplicationNumbers_AStaleHintOnlyCostsARetry(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	first := NewApplicationNumbers(openStore(t, db), newTestID)
	second := NewApplicationNumbers(openStore(t, db), newTestID)
	_, err := second.Next(ctx, 2026, newTestID(), newTestID(), appT0, Metadata{}) // warms second's hint
	require.NoError(t, err)
	for range 3 {
		_, err := first.Next(ctx, 2026, newTestID(), newTestID(), appT0, Metadata{})
		require.NoError(t, err)
	}
	num, err := second.Next(ctx, 2026, newTestID(), newTestID(), appT0, Metadata{})
	require.NoError(t, err)
	assert.Equal(t, "2026-000005", num)
}

func TestApplicationNumbers_ACanceledRequestTakesNoNumberAnotherCanUse(t *testing.T) {
	ctx := context.Background()
	nums := NewApplicationNumbers(openStore(t, sqltest.SQLite(t)), newTestID)
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_, err := nums.Next(gone, 2026, newTestID(), newTestID(), appT0, Metadata{})
	assert.ErrorIs(t, err, context.Canceled)
	num, err := nums.Next(ctx, 2026, newTestID(), newTestID(), appT0, Metadata{})
	require.NoError(t, err)
	assert.Contains(t, []string{"2026-000001", "2026-000002"}, num)
}

func TestApplicationIndex_FindsTheAccountFromAnyInstance(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		writer := NewApplicationIndex(openStore(t, db), newTestID)
		reader := NewApplicationIndex(openStore(t, db), newTestID)
		app, account := newTestID(), newTestID()
		require.NoError(t, writer.Put(ctx, app, account, appT0, Metadata{}))
		got, err := reader.Account(ctx, app)
		require.NoError(t, err)
		assert.Equal(t, account, got)
		_, err = reader.Account(ctx, newTestID())
		assert.ErrorIs(t, err, &domain.Error{Code: domain.CodeApplicationNotFound})
		assert.Error(t, writer.Put(ctx, app, newTestID(), appT0, Metadata{}), "an id is indexed once")
	})
}

func TestPaymentClaims_OneTransactionPaysOneApplication(t *testing.T) {
	ctx := context.Background()
	claims := NewPaymentClaims(openStore(t, sqltest.SQLite(t)), newTestID)
	app, other, account := newTestID(), newTestID(), newTestID()
	require.NoError(t, claims.Claim(ctx, "tx-1", app, account, appT0, Metadata{}))
	require.NoError(t, claims.Claim(ctx, "tx-1", app, account, appT0, Metadata{}), "a retried command")
	err := claims.Claim(ctx, "tx-1", other, account, appT0, Metadata{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "payment_transaction_reused")
	require.NoError(t, claims.Claim(ctx, "tx-2", other, account, appT0, Metadata{}))
}
