package journaling_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestWriter_FailedAppendProducesNoEntry(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		w := r.writer(t, nil)
		stream := "account-" + uuid.NewString()
		r.mustAppend(t, cmd{stream: stream, expected: eventstore.NoStream, command: "RegisterAccount",
			types: []string{"AccountRegistered"}})
		stale := uuid.NewString()
		_, err := r.appendCmd(context.Background(), cmd{stream: stream, expected: eventstore.NoStream,
			command: "RegisterAccount", id: stale, types: []string{"AccountRegistered"}})
		require.ErrorIs(t, err, eventstore.ErrConflict)
		r.catchUp(t, w)

		entries := allEntries(t, r.j)
		require.Len(t, entries, 1, "only the append that landed is journaled")
		assert.NotEqual(t, "corr-"+stale, entries[0].CorrelationID)
		r.check(t, w)
	})
}

func TestWriter_RefusedDecisionWithEventsIsOneRefusedEntryWithItsReason(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		w := r.writer(t, nil)
		acc := uuid.New()
		r.mustAppend(t, cmd{stream: "account-" + acc.String(), expected: eventstore.Any, command: "ConfirmContact",
			id: "0190f0c2-5a4e-7c3b-9d2a-6b1f3e8c4d21", refused: "code_invalid",
			types: []string{"ContactConfirmationFailed", "ContactConfirmationLocked"}})
		r.catchUp(t, w)

		entries := allEntries(t, r.j)
		require.Len(t, entries, 1, "one command, one entry, however many events")
		e := entries[0]
		assert.Equal(t, journal.Refused, e.Outcome)
		assert.Equal(t, "code_invalid", e.Reason)
		assert.Equal(t, "ConfirmContact", e.Action)
		assert.Equal(t, acc.String(), e.AccountID)
		assert.Equal(t, "actor-0190f0c2", e.ActorID)
		assert.Equal(t, "citizen", e.ActorRole)
		assert.Equal(t, "corr-0190f0c2-5a4e-7c3b-9d2a-6b1f3e8c4d21", e.CorrelationID)
		assert.Equal(t, "10.1.2.3", e.IP)
		assert.Equal(t, "test-agent/1.0", e.UserAgent)
		assert.Equal(t, []uint64{1, 2}, e.EventPositions)
		assert.True(t, t0.Equal(e.At), "the entry is dated by its first event, not by the writer")
		r.check(t, w)
	})
}

func TestWriter_RecordedDenialIsOneDeniedEntry(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		w := r.writer(t, nil)
		at := time.Date(2025, 4, 5, 6, 7, 8, 123456000, time.UTC)
		require.NoError(t, w.Record(context.Background(), journal.Entry{
			At: at, ActorID: "citizen-7", ActorRole: "citizen", Action: "GET accounts/{id}",
			AccountID: "someone-else", Outcome: journal.Denied, Reason: "not_found",
			CorrelationID: "req-1", IP: "192.0.2.1", UserAgent: "curl/8",
		}))
		r.catchUp(t, w)

		entries := allEntries(t, r.j)
		require.Len(t, entries, 1)
		e := entries[0]
		assert.Equal(t, journal.Denied, e.Outcome)
		assert.Equal(t, "not_found", e.Reason)
		assert.Equal(t, "GET accounts/{id}", e.Action)
		assert.Equal(t, "citizen-7", e.ActorID)
		assert.Equal(t, "someone-else", e.AccountID)
		assert.Equal(t, "req-1", e.CorrelationID)
		assert.Equal(t, "192.0.2.1", e.IP)
		assert.Equal(t, "curl/8", e.UserAgent)
		assert.Empty(t, e.EventPositions)
		assert.True(t, at.Equal(e.At), "the entry keeps the time it was recorded with")
	})
}

func TestWriter_ContactClaimNamesTheClaimingAccount(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, 4)
	w := r.writer(t, nil)
	acc := uuid.New()
	r.mustAppend(t, cmd{stream: "contact-0123456789abcdef", expected: eventstore.NoStream, command: "ConfirmContact",
		types: []string{"ContactClaimed"}, data: fmt.Sprintf(`{"account_id":%q}`, acc)})
	r.catchUp(t, w)
	entries := allEntries(t, r.j)
	require.Len(t, entries, 1)
	assert.Equal(t, acc.String(), entries[0].AccountID)
	assert.Equal(t, "ConfirmContact", entries[0].Action)
}

func TestWriter_ForeignEventIsJournaledAsItsTypeByAnUnknownActor(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, 4)
	w := r.writer(t, nil)
	r.mustAppend(t, cmd{stream: "legacy-1", expected: eventstore.NoStream, foreign: true,
		types: []string{"Imported", "Imported"}})
	r.catchUp(t, w)
	entries := allEntries(t, r.j)
	require.Len(t, entries, 2, "without a command id each event stands alone")
	for i, e := range entries {
		assert.Equal(t, "Imported", e.Action)
		assert.Equal(t, journaling.Unknown, e.ActorID)
		assert.Equal(t, journaling.Unknown, e.ActorRole)
		assert.Equal(t, journal.Done, e.Outcome)
		assert.Equal(t, []uint64{uint64(i + 1)}, e.EventPositions)
	}
	r.check(t, w)
}

func TestWriter_CommandLongerThanABatchIsOneEntry(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 4)
		w := r.writer(t, func(c *journaling.Config) { c.BatchSize = 2 })
		stream := "account-" + uuid.NewString()
		r.mustAppend(t, cmd{stream: stream, expected: eventstore.NoStream, command: "A", types: []string{"X"}})
		r.mustAppend(t, cmd{stream: stream, expected: eventstore.Exact(0), command: "B",
			types: []string{"X", "X", "X", "X", "X", "X", "X"}})
		r.mustAppend(t, cmd{stream: stream, expected: eventstore.Exact(7), command: "C", types: []string{"X", "X"}})
		r.catchUp(t, w)
		entries := allEntries(t, r.j)
		require.Len(t, entries, 3)
		assert.Equal(t, []uint64{2, 3, 4, 5, 6, 7, 8}, entries[1].EventPositions)
		r.check(t, w)
	})
}

func TestWriter_UnreadableInboxRowIsJournaledNotLost(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, 4)
	w := r.writer(t, nil)
	_, err := db.ExecContext(context.Background(),
		`INSERT INTO journal_inbox (entry, created_at) VALUES ('{not json', 0), ('{"action":"X","outcome":"maybe"}', 0)`)
	require.NoError(t, err)
	r.catchUp(t, w)
	entries := allEntries(t, r.j)
	require.Len(t, entries, 2)
	for _, e := range entries {
		assert.Equal(t, journal.Refused, e.Outcome)
		assert.Equal(t, "unreadable_inbox_entry", e.Reason)
	}
}

func TestRecord_RefusesEntriesTheJournalCouldNotTake(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, 4)
	w := r.writer(t, nil)
	ctx := context.Background()
	assert.ErrorContains(t, w.Record(ctx, journal.Entry{Outcome: journal.Denied}), "action is required")
	assert.ErrorContains(t, w.Record(ctx, journal.Entry{Action: "X", Outcome: "maybe"}), "outcome")
	assert.ErrorContains(t, w.Record(ctx, journal.Entry{Action: "X", Outcome: journal.Done, EventPositions: []uint64{1}}),
		"event positions")
	st, err := w.Status(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Inbox)
}

func TestRun_RunsOnceAtATime(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, 4)
	// The first cycle of the Run started below journals this entry: once
	// its AfterBuild hook ran, that Run holds the writer, so the Run the
	// test calls itself cannot be the one that wins.
	started := make(chan struct{})
	var once sync.Once
	w := r.writer(t, func(c *journaling.Config) {
		c.Hooks = &journaling.Hooks{AfterBuild: func(context.Context, []journal.Entry) error {
			once.Do(func() { close(started) })
			return nil
		}}
	})
	r.record(t, w, journal.Entry{ActorID: "anonymous", Action: "GET cabinet", Outcome: journal.Denied, Reason: "unauthorized"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-started
	require.Eventually(t, func() bool {
		err := w.Run(ctx)
		return err != nil && assert.ErrorContains(t, err, "already running")
	}, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

// counter is an Observer.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) JournalEntry(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[outcome]++
}

// Records from this process and from others (a Writer that does not run)
// and appends, all while the writer runs, with small batches: each shows up
// once, and an observer hears of each.
func TestWriter_ConcurrentRecordsAndAppendsWhileRunningAreAllJournaledOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 16)
		obs := &counter{n: map[string]int{}}
		w := r.writer(t, func(c *journaling.Config) {
			c.BatchSize, c.InboxBatch, c.Observer = 7, 5, obs
			c.MinInterval = 0 // as many small transactions as can be
		})
		other := r.writer(t, nil) // another API instance: records, never runs
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()

		const workers, each = 4, 15
		var wg sync.WaitGroup
		var failed atomic.Value
		for g := range workers {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := range each {
					via := w
					if i%3 == 0 {
						via = other
					}
					if err := r.recordErr(via, journal.Entry{ActorID: fmt.Sprintf("u%d", g), Action: "GET cabinet",
						Outcome: journal.Denied, Reason: "forbidden"}); err != nil {
						failed.Store(err)
					}
				}
			}()
			go func() {
				defer wg.Done()
				stream := fmt.Sprintf("account-%s", uuid.NewString())
				exp := eventstore.NoStream
				for i := range each {
					res, err := r.appendCmd(context.Background(), cmd{stream: stream, expected: exp,
						command: "Cmd", types: []string{"X", "Y"}[:1+i%2]})
					if err != nil {
						failed.Store(err)
						return
					}
					exp = eventstore.Exact(res.NextVersion)
				}
			}()
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			t.Fatal(err)
		}
		require.Eventually(t, func() bool {
			st, err := w.Status(context.Background())
			return err == nil && st.CaughtUp()
		}, 30*time.Second, 5*time.Millisecond)
		cancel()
		require.NoError(t, <-done)
		r.check(t, w)
		obs.mu.Lock()
		defer obs.mu.Unlock()
		assert.Equal(t, map[string]int{"done": workers * each, "denied": workers * each}, obs.n)
	})
}

// Two writers on one database (a deployment mistake) still journal each
// event and row once: the loser of each race rolls back and starts over.
func TestWriter_TwoWritersAtOnceStillJournalEverythingOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 8)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		ws := []*journaling.Writer{
			r.writer(t, func(c *journaling.Config) { c.BatchSize, c.InboxBatch = 3, 2 }),
			r.writer(t, func(c *journaling.Config) { c.BatchSize, c.InboxBatch = 3, 2 }),
		}
		for _, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, w.Run(ctx))
			}()
		}
		for i := range 4 {
			r.workload(t, ws[i%2], fmt.Sprint(i))
		}
		require.Eventually(t, func() bool {
			st, err := ws[0].Status(context.Background())
			return err == nil && st.CaughtUp()
		}, 30*time.Second, 5*time.Millisecond)
		cancel()
		wg.Wait()
		r.check(t, ws[0])
	})
}

func TestRun_EndsWithErrClosedWhenTheStoreCloses(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, 4)
	w := r.writer(t, nil)
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	r.mustAppend(t, cmd{stream: "account-" + uuid.NewString(), expected: eventstore.NoStream, command: "A", types: []string{"X"}})
	require.Eventually(t, func() bool {
		st, err := w.Status(context.Background())
		return err == nil && st.CaughtUp()
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, r.store.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, eventstore.ErrClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("Run went on after the store closed")
	}
}
