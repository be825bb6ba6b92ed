package journaling_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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

func TestRecord_ACommitWhoseAnswerIsLostIsJournaledOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		var carries, lost atomic.Bool
		w := r.writer(t, func(c *journaling.Config) {
			c.Hooks = &journaling.Hooks{
				AfterBuild: func(_ context.Context, es []journal.Entry) error {
					carries.Store(slices.ContainsFunc(es, func(e journal.Entry) bool { return e.Action == "Unlucky" }))
					return nil
				},
				LoseCommitAnswer: func(context.Context) error {
					if carries.Load() && lost.CompareAndSwap(false, true) {
						return errors.New("connection reset before the commit's answer")
					}
					return nil
				},
			}
		})
		stop := live(t, r, w)
		require.NoError(t, w.Record(context.Background(), journal.Entry{Action: "Unlucky", AccountID: "acc-u", Outcome: journal.Done}))
		require.True(t, lost.Load(), "the cycle that carried the entry lost its commit's answer")
		st, err := w.Status(context.Background())
		require.NoError(t, err)
		assert.Zero(t, st.Inbox, "the entry was found journaled, not handed to the inbox")

		// The writer starts over from its cursor and goes on (the entry
		// waits in the inbox while it restarts).
		r.record(t, w, journal.Entry{Action: "After", AccountID: "acc-u", Outcome: journal.Done})
		require.Eventually(t, func() bool {
			return slices.ContainsFunc(entriesFor(t, r.j, "acc-u"), func(e journal.Entry) bool { return e.Action == "After" })
		}, 10*time.Second, 5*time.Millisecond)
		var actions []string
		for _, e := range entriesFor(t, r.j, "acc-u") {
			actions = append(actions, e.Action)
		}
		assert.Equal(t, []string{"Unlucky", "After"}, actions, "each once")
		require.NoError(t, stop())
		verified(t, r.j)
	})
}
