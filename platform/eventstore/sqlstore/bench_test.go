package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// benchDBs are the backends a benchmark runs on; each call opens a fresh one.
var benchDBs = []struct {
	name string
	open func(b *testing.B) *sqldb.DB
}{
	{"sqlite", func(b *testing.B) *sqldb.DB { return sqltest.SQLite(b) }},
	{"postgres", func(b *testing.B) *sqldb.DB { return sqltest.PG(b) }},
}

func benchEvent(n int) eventstore.EventData {
	return eventstore.EventData{
		ID: uuid.Must(uuid.NewV7()), Type: "ContactConfirmed", SchemaVersion: 1,
		Data:       []byte(fmt.Sprintf(`{"account_id":"0190f0c2-5a4e-7c3b-9d2a-6b1f3e8c4d21","channel":"email","n":%d}`, n)),
		Metadata:   []byte(`{"correlation_id":"0190f0c2-5a4e-7c3b-9d2a-6b1f3e8c4d22","actor":"applicant"}`),
		OccurredAt: time.Now(),
	}
}

// BenchmarkAppend: 32 writers, each appending one event at a time to its own
// stream with the exact expected version, durably. events/s is the figure.
func BenchmarkAppend(b *testing.B) {
	const writers = 32
	for _, bd := range benchDBs {
		b.Run(bd.name, func(b *testing.B) {
			s, err := New(context.Background(), bd.open(b), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			b.ResetTimer()
			start := time.Now()
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stream := fmt.Sprintf("bench-%d", w)
					exp := eventstore.NoStream
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						res, err := s.Append(context.Background(), stream, exp, []eventstore.EventData{benchEvent(int(i))})
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
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(b.N)/float64(s.groups.Load()), "events/group")
		})
	}
}

// BenchmarkReadAll reads a 20,000-event log in pages of 500, as a
// projection catching up does; one op is one event read.
func BenchmarkReadAll(b *testing.B) {
	const size, page = 20000, 500
	for _, bd := range benchDBs {
		b.Run(bd.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := New(ctx, bd.open(b), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for i := 0; i < size; i += 1000 {
				batch := make([]eventstore.EventData, 1000)
				for j := range batch {
					batch[j] = benchEvent(i + j)
				}
				if _, err := s.Append(ctx, fmt.Sprintf("fill-%d", i), eventstore.NoStream, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			var pos uint64
			for read := 0; read < b.N; {
				evs, err := s.ReadAll(ctx, pos, page)
				if err != nil {
					b.Fatal(err)
				}
				read += len(evs)
				pos = evs[len(evs)-1].Position
				if pos == size {
					pos = 0
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkReadAllLive reads the last three events of the log with the
// limit of a live batch (255), as a projector does after each delivered
// event; one op is one read.
func BenchmarkReadAllLive(b *testing.B) { benchLiveReads(b, 255) }

// BenchmarkReadAllLimits is BenchmarkReadAllLive with two readers' limits in
// turn (a live batch's and a feed page's), as the log's readers ask.
func BenchmarkReadAllLimits(b *testing.B) { benchLiveReads(b, 254, 512) }

// benchLiveReads reads the last three of 100 events with each of limits in
// turn.
func benchLiveReads(b *testing.B, limits ...int) {
	for _, bd := range benchDBs {
		b.Run(bd.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := New(ctx, bd.open(b), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batch := make([]eventstore.EventData, 100)
			for i := range batch {
				batch[i] = benchEvent(i)
			}
			res, err := s.Append(ctx, "account-1", eventstore.NoStream, batch)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				evs, err := s.ReadAll(ctx, res.LastPosition-3, limits[i%len(limits)])
				if err != nil || len(evs) != 3 {
					b.Fatal(len(evs), err)
				}
				i++
			}
		})
	}
}
