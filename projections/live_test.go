package projections_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections"
)

// pickyProjector records the events it applied and refuses one type.
type pickyProjector struct {
	mu      sync.Mutex
	applied map[uint64]int
	refuse  string
}

func (p *pickyProjector) Name() string                         { return "picky" }
func (p *pickyProjector) Schema() schema.Component             { return schema.Component{Name: "picky"} }
func (p *pickyProjector) Reset(context.Context, bun.IDB) error { return nil }
func (p *pickyProjector) Project(_ context.Context, _ bun.Tx, evs []eventstore.RecordedEvent) error {
	for _, e := range evs {
		if e.Type == p.refuse {
			return errors.New("cannot project " + e.Type)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range evs {
		p.applied[e.Position]++
	}
	return nil
}

// TestLive_BurstsCommitTogetherAndOnlyTheBadEventIsPoisoned appends a
// burst with one event the projector cannot take while the runner follows
// the log live: every other event is applied exactly once and only the bad
// one reaches the poison queue.
func TestLive_BurstsCommitTogetherAndOnlyTheBadEventIsPoisoned(t *testing.T) {
	db := sqltest.SQLite(t)
	r := newRig(t, db, db)
	p := &pickyProjector{applied: map[uint64]int{}, refuse: "Broken"}
	r.runner.Projectors = []projections.Projector{p}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.runner.Run(ctx) }()
	time.Sleep(200 * time.Millisecond) // live, past the catch-up

	var evs []eventstore.EventData
	for i := 0; i < 60; i++ {
		typ := "Fine"
		if i == 30 {
			typ = "Broken"
		}
		evs = append(evs, eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: 1,
			Data: []byte(`{}`), Metadata: []byte(`{}`), OccurredAt: time.Now()})
	}
	res, err := r.store.Append(ctx, "test-burst", eventstore.NoStream, evs)
	require.NoError(t, err)
	_, err = r.runner.Tracker.Wait(ctx, "picky", res.LastPosition, 20*time.Second)
	require.NoError(t, err)
	cancel()
	require.NoError(t, <-done)

	p.mu.Lock()
	defer p.mu.Unlock()
	assert.Len(t, p.applied, 59, "every good event applied")
	for pos, n := range p.applied {
		assert.Equal(t, 1, n, "event at %d applied once", pos)
	}
	bad := res.FirstPosition + 30
	assert.NotContains(t, p.applied, bad)
	entries, err := r.runner.Poison.List(context.Background(), "picky", 10)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the bad event is poisoned")
	assert.EqualValues(t, bad, entries[0].Position)
	assert.True(t, strings.Contains(entries[0].Reason, "cannot project Broken"), entries[0].Reason)
}
