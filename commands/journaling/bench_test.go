package journaling_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// benchWriters is how many goroutines run commands at once.
const benchWriters = 32

// BenchmarkCommandsWithoutJournal: 32 goroutines each append one-event
// commands to their own account stream on a durable SQLite file. One op is
// one command. commands/s is the throughput; cpu-µs/command the process's
// CPU time per command, which the load of other processes disturbs less.
func BenchmarkCommandsWithoutJournal(b *testing.B) { benchCommands(b, false, false, false) }

// BenchmarkCommandsWithJournal is BenchmarkCommandsWithoutJournal with the
// journal writer running beside the commands, at its default settings.
// Besides commands/s it reports lag-events (how far the journal was behind
// when the last command returned), catch-up-ms (how long it then took to
// catch up), cycles and entries/cycle of the writer while the commands ran,
// tx-busy (the share of that time its transaction was under way), and
// cpu-µs/command up to the catch-up.
//
// "own-file" keeps the journal (and the writer's tables) in a SQLite file
// of its own; "same-file" in the events' file, where its transactions take
// the one write lock the event store's group commits need. Their commands
// each have an actor of their own; in "own-file-citizens" the actor is the
// account whose stream the command appends to, as a citizen's own commands
// have it (the journal indexes such entries once, by account).
func BenchmarkCommandsWithJournal(b *testing.B) {
	b.Run("own-file", func(b *testing.B) { benchCommands(b, true, true, false) })
	b.Run("same-file", func(b *testing.B) { benchCommands(b, true, false, false) })
	b.Run("own-file-citizens", func(b *testing.B) { benchCommands(b, true, true, true) })
	b.Run("postgres-citizens", func(b *testing.B) { benchCommandsOn(b, sqltest.PG(b), sqltest.PG(b), true, true) })
}

// BenchmarkCommandsWithoutJournalPostgres is BenchmarkCommandsWithoutJournal
// on PostgreSQL.
func BenchmarkCommandsWithoutJournalPostgres(b *testing.B) {
	benchCommandsOn(b, sqltest.PG(b), nil, false, true)
}

func benchCommands(b *testing.B, journaled, ownFile, citizens bool) {
	events := sqltest.SQLite(b)
	db := events
	if ownFile {
		db = sqltest.SQLite(b)
	}
	benchCommandsOn(b, events, db, journaled, citizens)
}

// benchCommandsOn runs the commands benchmark with the events in events and
// the journal in db (events when nil).
func benchCommandsOn(b *testing.B, events, db *sqldb.DB, journaled, citizens bool) {
	if db == nil {
		db = events
	}
	r := newSplitRig(b, events, db, 0) // the journal's default: a checkpoint every 100 entries
	r.cfg.Now, r.cfg.MinInterval, r.cfg.PollInterval, r.cfg.RetryDelay = nil, 0, 0, 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		w                        *journaling.Writer
		cycles, entries, txNanos atomic.Int64
		began                    time.Time // written and read by the writer's goroutine only
		done                     = make(chan error, 1)
	)
	if journaled {
		w = r.writer(b, func(c *journaling.Config) {
			c.Hooks = &journaling.Hooks{
				AfterBuild: func(_ context.Context, es []journal.Entry) error {
					began = time.Now()
					cycles.Add(1)
					entries.Add(int64(len(es)))
					return nil
				},
				AfterCommit: func(context.Context) error {
					txNanos.Add(int64(time.Since(began)))
					return nil
				},
			}
		})
		go func() { done <- w.Run(ctx) }()
	}

	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchWriters)
	b.ResetTimer()
	cpu0, start := cpuTime(), time.Now()
	for range benchWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			account := uuid.NewString()
			stream, actor := "account-"+account, ""
			if citizens {
				actor = account
			}
			exp := eventstore.NoStream
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				res, err := r.appendCmd(ctx, cmd{stream: stream, expected: exp, command: "ConfirmContact", actor: actor,
					types: []string{"ContactConfirmed"}, data: fmt.Sprintf(`{"channel":"email","n":%d}`, i)})
				if err != nil {
					errs <- err
					return
				}
				exp = eventstore.Exact(res.NextVersion)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commands/s")
	if !journaled {
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/command")
		return
	}

	n, ents, busy := cycles.Load(), entries.Load(), txNanos.Load()
	st, err := w.Status(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Head-st.Cursor), "lag-events")
	b.ReportMetric(float64(n), "cycles")
	b.ReportMetric(float64(ents)/float64(max(n, 1)), "entries/cycle")
	b.ReportMetric(float64(busy)/float64(elapsed), "tx-busy")
	caught := time.Now()
	for !st.CaughtUp() {
		time.Sleep(time.Millisecond)
		if st, err = w.Status(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(caught).Milliseconds()), "catch-up-ms")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/command")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
