package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/applications"
	"github.com/kabinet/kabinet/projections/audit"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/notifications"
	"github.com/kabinet/kabinet/projections/operatorqueue"
)

// TestRunner_ProjectorsReadyTogetherShareOneTransaction holds the read
// store's one writer while events arrive, as the write side's durable
// commits do under load: the projectors' live batches queue meanwhile, and
// once the writer is free they commit together, then all reach the head.
func TestRunner_ProjectorsReadyTogetherShareOneTransaction(t *testing.T) {
	read := sqltest.SQLite(t)
	rg := newRig(t, sqltest.SQLite(t), read)
	rg.runner.Projectors = []projections.Projector{cabinet.NewProjector(), applications.NewProjector(),
		notifications.NewProjector(), operatorqueue.NewProjector(), audit.NewProjector()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rg.runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, ignoreCanceled(<-done))
	})
	atHead := func() bool {
		head, err := rg.store.Head(context.Background())
		require.NoError(t, err)
		for _, p := range rg.runner.Projectors {
			if rg.runner.Tracker.Position(p.Name()) < head {
				return false
			}
		}
		return true
	}
	scriptedTraffic(t, rg.store, 3, 10, 1)
	require.Eventually(t, atHead, 10*time.Second, 5*time.Millisecond, "caught up, following the log")
	before := read.Groups()

	release := sqltest.HoldWriter(t, read)
	scriptedTraffic(t, rg.store, 3, 10, 2)
	time.Sleep(time.Second) // every projector's batch is handed its events and queues
	require.False(t, atHead(), "nothing commits while the writer is held")
	release()

	require.Eventually(t, atHead, 10*time.Second, 5*time.Millisecond)
	require.Greater(t, read.Groups(), before, "the batches that queued committed in a shared transaction")
}
