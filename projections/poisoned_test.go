package projections_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/cabinet"
)

// brokenCabinet is the cabinet projector with a bug: while broken is set it
// cannot apply the event with id bad.
type brokenCabinet struct {
	projections.Projector
	bad    uuid.UUID
	broken atomic.Bool
}

func (b *brokenCabinet) Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error {
	for _, e := range events {
		if e.ID == b.bad && b.broken.Load() {
			return errors.New("cabinet cannot apply this event (a bug)")
		}
	}
	return b.Projector.Project(ctx, tx, events)
}

// runUntilHead runs the rig's runner until the cabinet has reached the log's
// head, then stops it.
func runUntilHead(t *testing.T, r *rig) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.runner.Run(ctx) }()
	head, err := r.store.Head(ctx)
	require.NoError(t, err)
	_, err = r.runner.Tracker.Wait(ctx, cabinet.ProjectorName, head, 30*time.Second)
	require.NoError(t, err)
	cancel()
	require.NoError(t, ignoreCanceled(<-done))
}

// poisonRig has traffic of several accounts in the log and a cabinet that
// cannot apply one event in the middle of one account's stream.
func poisonRig(t *testing.T, db *sqldb.DB) (*rig, *brokenCabinet, []uuid.UUID, eventstore.RecordedEvent) {
	r := newRig(t, db, db)
	ids := scriptedTraffic(t, r.store, 4, 40, 11)
	recs, err := r.store.ReadStream(context.Background(), commands.StreamName(ids[1]), eventstore.Forward, 0, 1000)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(recs), 2)
	bad := recs[1]
	p := &brokenCabinet{Projector: cabinet.NewProjector(), bad: bad.ID}
	p.broken.Store(true)
	r.runner.Projectors = []projections.Projector{p}
	return r, p, ids, bad
}

func TestRunner_AnEventTheProjectorCannotApplyIsPoisonedOnceAndTheProjectionGoesOn(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r, _, ids, bad := poisonRig(t, db)
		ctx := context.Background()
		runUntilHead(t, r) // catch-up meets the event
		runUntilHead(t, r) // a restart does not poison it twice

		entries, err := r.runner.Poison.List(ctx, cabinet.ProjectorName, 0)
		require.NoError(t, err)
		require.Len(t, entries, 1, "one entry for the one event")
		assert.EqualValues(t, bad.Position, entries[0].Position)
		assert.Contains(t, entries[0].Reason, "a bug")
		pending, err := r.runner.Poison.Pending(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{cabinet.ProjectorName: 1}, pending)

		reader := cabinet.NewReader(r.read)
		for _, id := range []uuid.UUID{ids[0], ids[2], ids[3]} {
			got, err := reader.Get(ctx, id)
			require.NoError(t, err)
			assertSame(t, foldState(t, r.store, id), got)
		}
	})
}

func TestRunner_AnEventPoisonedLiveIsPoisonedOnceAndTheProjectionGoesOn(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, db)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		scriptedTraffic(t, r.store, 1, 0, 3)
		p := &brokenCabinet{Projector: cabinet.NewProjector(), bad: uuid.Must(uuid.NewV7())}
		p.broken.Store(true)
		r.runner.Projectors = []projections.Projector{p}
		done := make(chan error, 1)
		go func() { done <- r.runner.Run(ctx) }()
		seeded, err := r.store.Head(ctx)
		require.NoError(t, err)
		// Once catch-up has reached the head, the router meets what follows.
		_, err = r.runner.Tracker.Wait(ctx, cabinet.ProjectorName, seeded, 30*time.Second)
		require.NoError(t, err)
		bad, err := r.store.Append(ctx, commands.StreamName(uuid.Must(uuid.NewV7())), eventstore.Any, []eventstore.EventData{{
			ID: p.bad, Type: "NoteAdded", SchemaVersion: 1, Data: []byte(`{}`), Metadata: []byte(`{}`), OccurredAt: time.Now(),
		}})
		require.NoError(t, err)
		later := scriptedTraffic(t, r.store, 2, 10, 4)
		head, err := r.store.Head(ctx)
		require.NoError(t, err)
		_, err = r.runner.Tracker.Wait(ctx, cabinet.ProjectorName, head, 30*time.Second)
		require.NoError(t, err)
		cancel()
		require.NoError(t, ignoreCanceled(<-done))

		entries, err := r.runner.Poison.List(context.Background(), cabinet.ProjectorName, 0)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		assert.EqualValues(t, bad.LastPosition, entries[0].Position)
		reader := cabinet.NewReader(r.read)
		for _, id := range later {
			got, err := reader.Get(context.Background(), id)
			require.NoError(t, err)
			assertSame(t, foldState(t, r.store, id), got)
		}
	})
}

func TestReplayPoisoned_AfterTheFixTheReadModelHoldsThePoisonedEvent(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r, p, ids, _ := poisonRig(t, db)
		ctx := context.Background()
		runUntilHead(t, r)
		entries, err := r.runner.Poison.List(ctx, cabinet.ProjectorName, 0)
		require.NoError(t, err)
		require.Len(t, entries, 1)

		// Still broken: the replay fails and the entry stays pending.
		require.Error(t, projections.ReplayPoisoned(ctx, r.runner, p, entries[0].ID, nil))
		pending, err := r.runner.Poison.Pending(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, pending[cabinet.ProjectorName])

		p.broken.Store(false) // the fix
		require.NoError(t, projections.ReplayPoisoned(ctx, r.runner, p, entries[0].ID, nil))
		pending, err = r.runner.Poison.Pending(ctx)
		require.NoError(t, err)
		assert.Zero(t, pending[cabinet.ProjectorName])
		got, err := cabinet.NewReader(r.read).Get(ctx, ids[1])
		require.NoError(t, err)
		assertSame(t, foldState(t, r.store, ids[1]), got)
	})
}
