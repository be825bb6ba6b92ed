package journal_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// writerEntry is an entry as the journal writer derives it from a
// one-event command: uuids for account and correlation, one event
// position, an IP and a user agent. The actor is the account when own
// (a citizen on their own account), else an actor of its own.
func writerEntry(i int, own bool) journal.Entry {
	id, acc := uuid.NewString(), uuid.NewString()
	actor := "actor-" + id[:8]
	if own {
		actor = acc
	}
	return journal.Entry{
		At:             t0.Add(time.Duration(i) * time.Millisecond),
		ActorID:        actor,
		ActorRole:      "citizen",
		Action:         "ConfirmContact",
		AccountID:      acc,
		Outcome:        journal.Done,
		CorrelationID:  "corr-" + id,
		EventPositions: []uint64{uint64(i + 1)},
		IP:             "10.1.2.3",
		UserAgent:      "test-agent/1.0",
	}
}

// BenchmarkAppendTx measures AppendTx on a durable SQLite file, in
// transactions of 1 to 2000 entries (the writer's batches under load are
// hundreds of entries), of actors on other accounts ("other") or on their
// own ("own", as citizens are). One op is one entry; cpu-µs/entry is the
// process's CPU time per entry, commit included; the entries are built
// beforehand.
func BenchmarkAppendTx(b *testing.B) {
	for _, shape := range []string{"other", "own"} {
		for _, batch := range []int{1, 10, 100, 500, 1000, 2000} {
			b.Run(fmt.Sprintf("sqlite/%s/batch-%d", shape, batch), func(b *testing.B) {
				benchAppendTx(b, batch, shape == "own")
			})
		}
	}
}

func benchAppendTx(b *testing.B, batch int, own bool) {
	db := sqltest.SQLite(b)
	j := open(b, db, newKey(b), journal.Options{})
	ctx := context.Background()
	es := make([]journal.Entry, 0, b.N)
	for i := range b.N {
		es = append(es, writerEntry(i, own))
	}
	b.ResetTimer()
	cpu0, start := cpuTime(), time.Now()
	for i := 0; i < b.N; i += batch {
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := j.AppendTx(ctx, tx, es[i:min(i+batch, b.N)]...)
			return err
		})
		require.NoError(b, err)
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/entry")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
