package journaling_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestRecordAll_EveryEntryReachesTheJournal(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		w := r.writer(t, nil)
		var batch []journal.Entry
		for _, acc := range []string{"a1", "a2", "a3"} {
			batch = append(batch, journal.Entry{Action: "ReadOperatorQueue", AccountID: acc, Outcome: journal.Done, ActorRole: "operator"})
		}
		require.NoError(t, w.RecordAll(context.Background(), batch))
		r.catchUp(t, w)
		var accounts []string
		for _, e := range allEntries(t, r.j) {
			accounts = append(accounts, e.AccountID)
		}
		assert.ElementsMatch(t, []string{"a1", "a2", "a3"}, accounts)
	})
}

func TestRecordAll_OneInvalidEntryRecordsNone(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, 4)
	w := r.writer(t, nil)
	ctx := context.Background()
	err := w.RecordAll(ctx, []journal.Entry{{Action: "X", Outcome: journal.Done}, {Action: "", Outcome: journal.Done}})
	assert.ErrorContains(t, err, "action is required")
	st, err := w.Status(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Inbox)
	require.NoError(t, w.RecordAll(ctx, nil))
}

func TestRecord_ConcurrentRecordsShareCommitsAndAllLand(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		w := r.writer(t, nil)
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- w.Record(context.Background(), journal.Entry{Action: "ReadCabinet", AccountID: fmt.Sprint("acc-", i), Outcome: journal.Done})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		r.catchUp(t, w)
		seen := map[string]bool{}
		for _, e := range allEntries(t, r.j) {
			seen[e.AccountID] = true
		}
		assert.Len(t, seen, 50, "every concurrent record reached the journal once")
	})
}
