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
	"github.com/kabinet/kabinet/platform/sqldb"
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

// pageEntry is an entry as a read of the operator queue journals it: one
// operator reading a page that names fifty people (the same fifty each
// time, as a busy queue's first page does).
func pageEntry(i int, people []string) journal.Entry {
	return journal.Entry{
		At:            t0.Add(time.Duration(i) * time.Millisecond),
		ActorID:       "operator-1",
		ActorRole:     "operator",
		Action:        "ReadOperatorQueue",
		AccountIDs:    people,
		Outcome:       journal.Done,
		CorrelationID: "corr-" + uuid.NewString(),
		IP:            "10.1.2.3",
		UserAgent:     "test-agent/1.0",
	}
}

// BenchmarkAppendTx measures AppendTx on a durable SQLite file, in
// transactions of 1 to 2000 entries (the writer's batches under load are
// hundreds of entries), of actors on other accounts ("other") or on their
// own ("own", as citizens are), or of operators reading a page of the
// queue ("page"). One op is one entry; cpu-µs/entry is the
// process's CPU time per entry, commit included; the entries are built
// beforehand.
func BenchmarkAppendTx(b *testing.B) {
	for _, shape := range []string{"other", "own", "page"} {
		for _, batch := range []int{1, 10, 100, 500, 1000, 2000} {
			b.Run(fmt.Sprintf("sqlite/%s/batch-%d", shape, batch), func(b *testing.B) {
				benchAppendTx(b, batch, shape)
			})
		}
	}
}

func benchAppendTx(b *testing.B, batch int, shape string) {
	db := sqltest.SQLite(b)
	j := open(b, db, newKey(b), journal.Options{})
	ctx := context.Background()
	people := make([]string, 50)
	for i := range people {
		people[i] = uuid.NewString()
	}
	es := make([]journal.Entry, 0, b.N)
	for i := range b.N {
		if shape == "page" {
			es = append(es, pageEntry(i, people))
		} else {
			es = append(es, writerEntry(i, shape == "own"))
		}
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

// BenchmarkEntriesByAccount reads the first page of one person's entries
// (as their activity page and the staff journal do) after the queue's
// first page, naming them among fifty, was read `reads` times, by pages of
// ten compositions in turn (a new set of people whenever the queue
// changed), between entries about the person alone, in a journal four
// fifths of which is about other people.
func BenchmarkEntriesByAccount(b *testing.B) {
	for _, store := range []struct {
		name string
		open func(testing.TB) *sqldb.DB
	}{{"sqlite", sqltest.SQLite}, {"postgres", sqltest.PG}} {
		for _, reads := range []int{100, 10_000} {
			b.Run(fmt.Sprintf("%s/reads-%d", store.name, reads), func(b *testing.B) {
				benchEntriesByAccount(b, store.open(b), reads)
			})
		}
	}
}

func benchEntriesByAccount(b *testing.B, db *sqldb.DB, reads int) {
	j := open(b, db, newKey(b), journal.Options{})
	ctx := context.Background()
	person := uuid.NewString()
	people := make([]string, 60)
	for i := range people {
		people[i] = uuid.NewString()
	}
	es := make([]journal.Entry, 0, 5*reads)
	for i := range reads {
		if i%50 == 0 {
			e := writerEntry(i, true)
			e.AccountID, e.ActorID = person, person
			es = append(es, e)
			continue
		}
		shift := i * 10 / reads
		page := append([]string{person}, people[shift:shift+49]...)
		es = append(es, pageEntry(i, page))
		for k := range 4 { // the rest of the journal: other people's actions
			es = append(es, writerEntry(i*4+k, true))
		}
	}
	for i := 0; i < len(es); i += 1000 {
		_, err := j.Append(ctx, es[i:min(i+1000, len(es))]...)
		require.NoError(b, err)
	}
	_, err := db.ExecContext(ctx, "ANALYZE") // as autovacuum would have by now
	require.NoError(b, err)
	b.ResetTimer()
	for range b.N {
		got, err := j.Entries(ctx, journal.Filter{AccountID: person, Limit: 50})
		require.NoError(b, err)
		require.Len(b, got, 50)
	}
}
