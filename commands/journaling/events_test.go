package journaling_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// eventHistory journals a small history with a SnilsLinked and an
// IdentityVerified event and returns the positions of those two.
func eventHistory(t *testing.T, r *rig) (snils, verified uint64) {
	t.Helper()
	acc := "account-" + uuid.NewString()
	r.mustAppend(t, cmd{stream: acc, expected: eventstore.NoStream, command: "RegisterAccount", types: []string{"AccountRegistered", "ContactConfirmationRequested"}})
	res := r.mustAppend(t, cmd{stream: acc, expected: eventstore.Exact(1), command: "LinkSnils", types: []string{"SnilsLinked"}, data: `{"snils":"112-233-445 95"}`})
	snils = res.LastPosition
	res = r.mustAppend(t, cmd{stream: acc, expected: eventstore.Exact(2), command: "ApproveIdentity", actor: "operator-7", types: []string{"IdentityVerified"}, data: `{"method":"in_person"}`})
	verified = res.LastPosition
	other := "account-" + uuid.NewString()
	r.mustAppend(t, cmd{stream: other, expected: eventstore.NoStream, command: "RegisterAccount", types: []string{"AccountRegistered"}})
	r.mustAppend(t, cmd{stream: other, expected: eventstore.Exact(0), command: "LinkInn", types: []string{"InnLinked"}, data: `{"inn":"500100732259"}`})
	r.catchUp(t, r.writer(t, nil))
	return snils, verified
}

func exec(t *testing.T, db *sqldb.DB, q string, args ...any) {
	t.Helper()
	_, err := db.ExecContext(context.Background(), q, args...)
	require.NoError(t, err, q)
}

// rewrite replaces, in column col of the event at pos, old by new.
func rewrite(t *testing.T, db *sqldb.DB, pos uint64, col, old, new string) {
	t.Helper()
	var b []byte
	require.NoError(t, db.QueryRowContext(context.Background(), `SELECT `+col+` FROM events WHERE position = ?`, int64(pos)).Scan(&b))
	require.Contains(t, string(b), old)
	exec(t, db, `UPDATE events SET `+col+` = ? WHERE position = ?`, []byte(strings.Replace(string(b), old, new, 1)), int64(pos))
}

func TestVerify_EachTamperingOfTheEventsIsCaughtByItsPosition(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, db *sqldb.DB, snils, verified uint64) uint64 // the bad position
		reason string
	}{
		{"edited SnilsLinked number", func(t *testing.T, db *sqldb.DB, snils, _ uint64) uint64 {
			rewrite(t, db, snils, "data", "112-233-445 95", "112-233-445 96")
			return snils
		}, "edited"},
		{"edited IdentityVerified actor in metadata", func(t *testing.T, db *sqldb.DB, _, verified uint64) uint64 {
			rewrite(t, db, verified, "metadata", `"actor_id":"operator-7"`, `"actor_id":"operator-8"`)
			return verified
		}, "edited"},
		{"deleted event", func(t *testing.T, db *sqldb.DB, snils, _ uint64) uint64 {
			exec(t, db, `DELETE FROM events WHERE position = ?`, int64(snils))
			return snils
		}, "deleted"},
		{"deleted last event", func(t *testing.T, db *sqldb.DB, _, _ uint64) uint64 {
			var last int64
			require.NoError(t, db.QueryRowContext(context.Background(), `SELECT MAX(position) FROM events`).Scan(&last))
			exec(t, db, `DELETE FROM events WHERE position = ?`, last)
			return uint64(last)
		}, "deleted"},
		{"reordered events", func(t *testing.T, db *sqldb.DB, snils, verified uint64) uint64 {
			exec(t, db, `UPDATE events SET position = -1 WHERE position = ?`, int64(snils))
			exec(t, db, `UPDATE events SET position = ? WHERE position = ?`, int64(snils), int64(verified))
			exec(t, db, `UPDATE events SET position = ? WHERE position = -1`, int64(verified))
			return snils
		}, "moved"},
		{"inserted event", func(t *testing.T, db *sqldb.DB, snils, _ uint64) uint64 {
			const far = 1_000_000
			exec(t, db, `UPDATE events SET position = position + ? WHERE position >= ?`, far, int64(snils))
			exec(t, db, `UPDATE events SET position = position - ? WHERE position >= ?`, far-1, far)
			exec(t, db, `INSERT INTO events (position, stream_id, version, event_id, type, schema_version, data, metadata, occurred_at, recorded_at)
				SELECT ?, stream_id || '-forged', version, ?, type, schema_version, data, metadata, occurred_at, recorded_at
				FROM events WHERE position = ?`, int64(snils), uuid.NewString(), int64(snils)+1)
			exec(t, db, `UPDATE event_head SET position = position + 1`)
			return snils
		}, "inserted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
				r := newRig(t, db, 0)
				snils, verified := eventHistory(t, r)
				res, err := r.j.Verify(context.Background())
				require.NoError(t, err)
				require.True(t, res.OK, res.Reason)

				bad := c.tamper(t, db, snils, verified)
				res, err = r.j.Verify(context.Background())
				require.NoError(t, err)
				assert.False(t, res.OK)
				require.NotNil(t, res.FirstBadPosition, res.Reason)
				assert.Equal(t, bad, *res.FirstBadPosition, res.Reason)
				assert.Contains(t, res.Reason, c.reason)
			})
		})
	}
}

func TestVerify_EveryEventIsRecomputedAndProvenUnderTheLatestCheckpoint(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 0)
		eventHistory(t, r)
		head, err := r.store.Head(context.Background())
		require.NoError(t, err)
		res, err := r.j.Verify(context.Background())
		require.NoError(t, err)
		require.True(t, res.OK, res.Reason)
		assert.Equal(t, head, res.Events, "every event recomputed from the store")
		assert.Equal(t, head, res.EventLeaves)
		assert.Equal(t, head, res.ProvenPosition)
		assert.Zero(t, res.Unproven)
		size, err := r.j.Size(context.Background())
		require.NoError(t, err)
		assert.Equal(t, size, res.CheckpointSize, "verify vouches for the tree of its signed checkpoint")
	})
}

func TestVerify_PositionsPastTheJournaledHeadAreNotYetProven(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 0)
		eventHistory(t, r)
		proven, err := r.store.Head(context.Background())
		require.NoError(t, err)
		r.mustAppend(t, cmd{stream: "account-" + uuid.NewString(), expected: eventstore.NoStream, command: "RegisterAccount", types: []string{"AccountRegistered", "ContactConfirmationRequested"}})
		res, err := r.j.Verify(context.Background())
		require.NoError(t, err)
		require.True(t, res.OK, res.Reason)
		assert.Equal(t, proven, res.ProvenPosition)
		assert.Equal(t, proven, res.EventHead)
		assert.Equal(t, proven+2, res.StoreHead)
		assert.Equal(t, uint64(2), res.Unproven, "the two new events are not yet proven, never verified")
	})
}

// warnings collects the messages a writer logs.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	w.mu.Lock()
	w.msgs = append(w.msgs, b.String())
	w.mu.Unlock()
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }
func (w *warnings) saw(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// runUntilLogged runs a writer until it logs want, then stops it.
func runUntilLogged(t *testing.T, r *rig, want string) {
	t.Helper()
	logs := &warnings{}
	w := r.writer(t, func(c *journaling.Config) { c.Logger = slog.New(logs) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	require.Eventually(t, func() bool { return logs.saw(want) }, 30*time.Second, 5*time.Millisecond, "the writer reports %q", want)
	cancel()
	require.NoError(t, <-done)
}

func TestWriter_AGapInTheLogIsDetectedNeverSkipped(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 0)
		eventHistory(t, r)
		journaled, err := r.j.EventHead(context.Background())
		require.NoError(t, err)
		acc := "account-" + uuid.NewString()
		res := r.mustAppend(t, cmd{stream: acc, expected: eventstore.NoStream, command: "RegisterAccount", types: []string{"AccountRegistered"}})
		r.mustAppend(t, cmd{stream: acc, expected: eventstore.Exact(0), command: "LinkSnils", types: []string{"SnilsLinked"}})
		exec(t, db, `DELETE FROM events WHERE position = ?`, int64(res.LastPosition))

		runUntilLogged(t, r, "without a gap")
		head, err := r.j.EventHead(context.Background())
		require.NoError(t, err)
		assert.Equal(t, journaled, head, "no event after the gap has a leaf")
	})
}

func TestWriter_AChangedJournaledEventStallsTheWriter(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 0)
		eventHistory(t, r)
		head, err := r.j.EventHead(context.Background())
		require.NoError(t, err)
		rewrite(t, db, head, "data", `"inn":"500100732259"`, `"inn":"500100732260"`)
		r.mustAppend(t, cmd{stream: "account-" + uuid.NewString(), expected: eventstore.NoStream, command: "RegisterAccount", types: []string{"AccountRegistered"}})

		runUntilLogged(t, r, "changed an event after it was journaled")
		after, err := r.j.EventHead(context.Background())
		require.NoError(t, err)
		assert.Equal(t, head, after, "nothing is journaled past a changed event")
	})
}

func TestWriter_EventLeavesOfAnOlderJournalAreCaughtUp(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, 0)
		eventHistory(t, r)
		// A journal from before event leaves: entries for every event, no leaves.
		exec(t, db, `DELETE FROM journal_event_leaves`)
		head, err := r.j.EventHead(context.Background())
		require.NoError(t, err)
		require.Zero(t, head)
		r.mustAppend(t, cmd{stream: "account-" + uuid.NewString(), expected: eventstore.NoStream, command: "RegisterAccount", types: []string{"AccountRegistered"}})
		r.catchUp(t, r.writer(t, nil))
		storeHead, err := r.store.Head(context.Background())
		require.NoError(t, err)
		head, err = r.j.EventHead(context.Background())
		require.NoError(t, err)
		assert.Equal(t, storeHead, head)
	})
}
