package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// eachDB runs f on a fresh SQLite file and a fresh PostgreSQL schema.
func eachDB(t *testing.T, f func(t *testing.T, db *sqldb.DB)) { sqltest.Each(t, f) }

func newStore(t *testing.T, db *sqldb.DB, opts Options) *Store {
	t.Helper()
	s, err := New(context.Background(), db, opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func events(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{
			ID: uuid.Must(uuid.NewV7()), Type: "Tested", SchemaVersion: 1,
			Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), Metadata: []byte(`{}`),
			OccurredAt: time.Now(),
		}
	}
	return out
}

// gate is a BeforeCommit hook that holds the writer's first group until
// released, so a test can line requests up behind it; fail, when set, gives
// the error of the nth group (1-based).
type gate struct {
	calls   atomic.Int32
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	fail    func(n int32) error
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) hook(ctx context.Context) error {
	n := g.calls.Add(1)
	if n == 1 {
		close(g.entered)
		<-g.release
	}
	if g.fail != nil {
		return g.fail(n)
	}
	return nil
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// plug starts an append of one event to stream (a fresh one if "") that the
// gate holds in the writer's first group, and returns once the writer is held.
func (g *gate) plug(t *testing.T, s *Store, stream string) <-chan error {
	t.Helper()
	if stream == "" {
		stream = "plug-" + uuid.NewString()
	}
	t.Cleanup(g.open)
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(context.Background(), stream, eventstore.NoStream, events(1))
		done <- err
	}()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer never reached the gate")
	}
	return done
}

// waitQueued waits until n requests wait in the writer's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(s.reqs) == n }, 10*time.Second, time.Millisecond,
		"want %d queued requests", n)
}

type outcome struct {
	res eventstore.AppendResult
	err error
}

// appendAsync starts an append and returns where its outcome will arrive.
func appendAsync(ctx context.Context, s *Store, stream string, exp eventstore.ExpectedVersion, evs []eventstore.EventData) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		res, err := s.Append(ctx, stream, exp, evs)
		ch <- outcome{res, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("append did not return")
		return outcome{}
	}
}

func readAll(t *testing.T, s *Store) []eventstore.RecordedEvent {
	t.Helper()
	got, err := s.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	return got
}
