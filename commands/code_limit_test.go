package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// takeAll asks for n codes to one phone number at once and counts the
// admitted and the refused.
func takeAll(t *testing.T, l *commands.CodeLimit, n int, queued func()) (admitted, refused int) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = l.Take(context.Background(), domain.ChannelPhone, "+79161234567") })
	}
	if queued != nil {
		queued()
	}
	wg.Wait()
	for _, err := range errs {
		var de *domain.Error
		switch {
		case err == nil:
			admitted++
		case errors.As(err, &de) && de.Code == domain.CodeTooManyCodes:
			refused++
		default:
			require.NoError(t, err)
		}
	}
	return admitted, refused
}

// A burst of requests to one destination, all waiting for the writer and
// then committed in one shared transaction, is still counted one by one.
func TestCodeLimit_ABurstCommittedTogetherAdmitsOnlyTheLimit(t *testing.T) {
	db := sqltest.SQLite(t)
	clock := func() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) }
	l, err := commands.NewCodeLimit(context.Background(), db, []byte("code-limit-test-key-0123456789ab"), clock)
	require.NoError(t, err)
	release := sqltest.HoldWriter(t, db)
	admitted, refused := takeAll(t, l, 12, func() {
		time.Sleep(300 * time.Millisecond) // all twelve wait for the writer
		release()
	})
	require.Equal(t, commands.CodesPerDestination, admitted)
	require.Equal(t, 12-commands.CodesPerDestination, refused)
	require.NotZero(t, db.Groups(), "the requests that queued were committed together")
}

func TestCodeLimit_ConcurrentRequestsAdmitOnlyTheLimit(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		l, err := commands.NewCodeLimit(context.Background(), db, []byte("code-limit-test-key-0123456789ab"), time.Now)
		require.NoError(t, err)
		admitted, refused := takeAll(t, l, 12, nil)
		require.Equal(t, commands.CodesPerDestination, admitted)
		require.Equal(t, 12-commands.CodesPerDestination, refused)
	})
}
