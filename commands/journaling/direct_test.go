package journaling_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// live starts w and returns once it journals Records itself (a first one
// went through the inbox or straight in; either way it is journaled), and
// what stops it and returns Run's error.
func live(t *testing.T, r *rig, w *journaling.Writer) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	r.record(t, w, journal.Entry{Action: "Probe", Outcome: journal.Done})
	require.Eventually(t, func() bool {
		st, err := w.Status(context.Background())
		return err == nil && st.CaughtUp()
	}, 10*time.Second, 5*time.Millisecond)
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return")
			return nil
		}
	}
}

func verified(t *testing.T, j *journal.Journal) {
	t.Helper()
	res, err := j.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, res.OK, res.Reason)
}

func entriesFor(t *testing.T, j *journal.Journal, account string) []journal.Entry {
	t.Helper()
	es, err := j.Entries(context.Background(), journal.Filter{AccountID: account})
	require.NoError(t, err)
	return es
}

func TestRecord_WithTheWriterLiveTheEntryIsInTheJournalWhenItReturns(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		r.cfg.MinInterval = 200 * time.Millisecond // an inbox row would wait that long for its cycle
		w := r.writer(t, nil)
		stop := live(t, r, w)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				acc := fmt.Sprint("acc-", i)
				assert.NoError(t, w.RecordAll(context.Background(), []journal.Entry{
					{Action: "ReadCabinet", AccountID: acc, Outcome: journal.Done, ActorRole: "operator"},
					{Action: "ReadOperatorQueue", AccountIDs: []string{acc, "acc-x"}, Outcome: journal.Done, ActorRole: "operator"},
				}))
				es := entriesFor(t, r.j, acc)
				assert.Len(t, es, 2, "journaled, not queued, when Record returns")
			}()
		}
		wg.Wait()
		assert.Len(t, entriesFor(t, r.j, "acc-x"), 20)
		require.NoError(t, stop())
		verified(t, r.j)
	})
}

func TestRecord_ACycleThatFailsLeavesItsEntriesToTheInboxJournaledOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		failing := r.writer(t, func(c *journaling.Config) {
			c.Hooks = &journaling.Hooks{AfterBuild: func(_ context.Context, es []journal.Entry) error {
				if slices.ContainsFunc(es, func(e journal.Entry) bool { return e.Action == "Doomed" }) {
					return errCrash
				}
				return nil
			}}
		})
		stop := live(t, r, failing)
		require.NoError(t, failing.Record(context.Background(), journal.Entry{Action: "Doomed", AccountID: "acc-d", Outcome: journal.Done}),
			"the failed cycle hands the entry to the inbox")
		assert.ErrorIs(t, stop(), errCrash, "the hook stopped the writer")
		st, err := failing.Status(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 1, st.Inbox)
		assert.Empty(t, entriesFor(t, r.j, "acc-d"))

		// With the writer stopped, Records go to the inbox.
		require.NoError(t, failing.Record(context.Background(), journal.Entry{Action: "Later", AccountID: "acc-d", Outcome: journal.Done}))
		restarted := r.writer(t, nil)
		r.catchUp(t, restarted)
		var actions []string
		for _, e := range entriesFor(t, r.j, "acc-d") {
			actions = append(actions, e.Action)
		}
		assert.Equal(t, []string{"Doomed", "Later"}, actions, "each once")
		verified(t, r.j)
	})
}
