package journaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// crashAt makes Hooks that die at the named step, once.
func crashAt(step string) *journaling.Hooks {
	fail := func(context.Context) error { return errCrash }
	h := &journaling.Hooks{}
	switch step {
	case "AfterBuild":
		h.AfterBuild = func(context.Context, []journal.Entry) error { return errCrash }
	case "AfterAppend":
		h.AfterAppend = fail
	case "BeforeCommit":
		h.BeforeCommit = fail
	case "AfterCommit":
		h.AfterCommit = fail
	case "AfterCheckpoint":
		h.AfterCheckpoint = fail
	}
	return h
}

// The steps of an accepted command: events appended → entries built →
// entries appended in the transaction → inbox and cursor written → commit →
// checkpoint. A crash at any boundary, followed by a restart (a new writer
// on the same database), leaves every command with exactly one entry, every
// recorded entry once, and a journal that verifies.
func TestWriter_CrashBetweenAnyTwoStepsThenRestartJournalsEverythingOnce(t *testing.T) {
	steps := []struct {
		step      string
		committed bool // the crashed cycle's transaction committed
	}{
		{"BeforeRun", false}, // events appended, the writer never saw them
		{"AfterBuild", false},
		{"AfterAppend", false},
		{"BeforeCommit", false},
		{"AfterCommit", true},
		{"AfterCheckpoint", true},
	}
	for _, s := range steps {
		t.Run(s.step, func(t *testing.T) {
			sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
				ctx := context.Background()
				// Count checkpoints never fall due: each is issued by time, after a commit.
				r := newRig(t, db, 1_000_000)
				r.cfg.BatchSize, r.cfg.InboxBatch = 3, 2 // a crash leaves work undone

				w := r.writer(t, nil)
				r.workload(t, w, "before")
				r.catchUp(t, w)
				sizeBefore, err := r.j.Size(ctx)
				require.NoError(t, err)

				r.workload(t, w, "crash")
				if s.step != "BeforeRun" {
					crashed := r.writer(t, func(c *journaling.Config) { c.Hooks = crashAt(s.step) })
					rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					err := crashed.Run(rctx)
					cancel()
					require.ErrorIs(t, err, errCrash)
					var he *journaling.HookError
					require.ErrorAs(t, err, &he)
					assert.Equal(t, s.step, he.Step)
				}
				size, err := r.j.Size(ctx)
				require.NoError(t, err)
				st, err := r.writer(t, nil).Status(ctx)
				require.NoError(t, err)
				cp, err := r.j.LatestCheckpoint(ctx)
				require.NoError(t, err)
				if s.committed {
					assert.Greater(t, size, sizeBefore, "the crashed cycle's entries are committed")
					assert.Equal(t, s.step == "AfterCheckpoint", cp.Size == size,
						"a checkpoint covers them only once the checkpoint step ran")
				} else {
					assert.Equal(t, sizeBefore, size, "nothing of the crashed cycle is committed")
					assert.Equal(t, 3, st.Inbox, "its inbox rows are still there")
					assert.Less(t, st.Cursor, st.Head, "its cursor did not move")
				}

				restarted := r.writer(t, nil)
				r.workload(t, restarted, "after")
				r.catchUp(t, restarted)
				r.check(t, restarted)
			})
		})
	}
}
