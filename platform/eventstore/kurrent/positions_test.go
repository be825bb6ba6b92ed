package kurrent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// quiet is Options with the client's log discarded and an index file.
func quiet(indexPath string) Options {
	return Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), IndexPath: indexPath}
}

// appendN appends n one-event appends to distinct streams.
func appendN(t *testing.T, s *Store, prefix string, n int) {
	t.Helper()
	for i := range n {
		_, err := s.Append(context.Background(), fmt.Sprintf("%s-%d", prefix, i), eventstore.NoStream,
			[]eventstore.EventData{{ID: uuid.New(), Type: "Happened", SchemaVersion: 1, Data: []byte(`{}`)}})
		require.NoError(t, err)
	}
}

// countingIndex is an index over s's $all with a file numbering at path
// that counts the records each scan reads.
func countingIndex(t *testing.T, s *Store, path string) (*index, *atomic.Int64) {
	t.Helper()
	f, err := openFilePositions(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { f.close() })
	var read atomic.Int64
	return newIndex(func(ctx context.Context, from esdb.Position, start bool, visit func(*esdb.RecordedEvent) bool) error {
		return s.scanAll(ctx, from, start, 64, func(r *esdb.RecordedEvent) bool {
			read.Add(1)
			return visit(r)
		})
	}, f), &read
}

func TestFileIndex_AStartReadsOnlyWhatWasWrittenSince(t *testing.T) {
	ctx := context.Background()
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	writer, err := New(ctx, srv.ConnString(), quiet(""))
	require.NoError(t, err)
	defer writer.Close()
	appendN(t, writer, "a", 300)
	path := filepath.Join(t.TempDir(), "positions.db")

	first, read := countingIndex(t, writer, path)
	_, err = first.open(ctx)
	require.NoError(t, err)
	head, err := first.sync(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 300, head)
	all := read.Load()
	assert.Greater(t, all, int64(300), "the first start reads all of $all, system events too")
	require.NoError(t, first.store.close())

	appendN(t, writer, "b", 20)
	second, read := countingIndex(t, writer, path)
	fresh, err := second.open(ctx)
	require.NoError(t, err)
	assert.False(t, fresh, "the file numbers this log")
	head, err = second.sync(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 320, head)
	// The start checks the log's first user event, then reads the tail:
	// the 20 new events and the system events among them.
	assert.Less(t, read.Load(), int64(60), "a start with the file reads the tail, not the log")

	// Every number agrees with a memory index built from all of $all.
	mem := newIndex(func(ctx context.Context, from esdb.Position, start bool, visit func(*esdb.RecordedEvent) bool) error {
		return writer.scanAll(ctx, from, start, 64, visit)
	}, &memPositions{})
	_, err = mem.sync(ctx)
	require.NoError(t, err)
	for n := uint64(1); n <= 320; n++ {
		want, ok, err := mem.at(ctx, n)
		require.NoError(t, err)
		require.True(t, ok)
		got, ok, err := second.at(ctx, n)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, want, got, "position %d", n)
		back, err := second.ordinalOf(ctx, got)
		require.NoError(t, err)
		require.Equal(t, n, back)
	}
}

func TestFileIndex_AFileOfAnotherLogIsRenumbered(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "positions.db")
	one := kurrenttest.Start(t, kurrenttest.Options{})
	s1, err := New(ctx, one.ConnString(), quiet(path))
	require.NoError(t, err)
	appendN(t, s1, "x", 10)
	_, err = s1.Head(ctx)
	require.NoError(t, err)
	require.NoError(t, s1.Close())

	// Another server: same shape of log (same byte offsets), other events.
	two := kurrenttest.Start(t, kurrenttest.Options{})
	w, err := New(ctx, two.ConnString(), quiet(""))
	require.NoError(t, err)
	defer w.Close()
	appendN(t, w, "y", 4)
	s2, err := New(ctx, two.ConnString(), quiet(path))
	require.NoError(t, err)
	defer s2.Close()
	head, err := s2.Head(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 4, head, "the other log's ten events are forgotten")
	evs, err := s2.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 4)
	for i, e := range evs {
		assert.EqualValues(t, i+1, e.Position)
		assert.Equal(t, fmt.Sprintf("y-%d", i), e.StreamID)
	}
}

func TestFileIndex_SurvivesARestartOfTheStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "positions.db")
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s1, err := New(ctx, srv.ConnString(), quiet(path))
	require.NoError(t, err)
	appendN(t, s1, "p", 50)
	before, err := s1.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.NoError(t, s1.Close())

	s2, err := New(ctx, srv.ConnString(), quiet(path))
	require.NoError(t, err)
	defer s2.Close()
	res, err := s2.Append(ctx, "p-new", eventstore.NoStream,
		[]eventstore.EventData{{ID: uuid.New(), Type: "Happened", SchemaVersion: 1, Data: []byte(`{}`)}})
	require.NoError(t, err)
	assert.EqualValues(t, 51, res.LastPosition, "numbering goes on where the file left off")
	after, err := s2.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, after, 51)
	assert.Equal(t, before, after[:50])
	recs, err := s2.ReadStream(ctx, "p-7", eventstore.Forward, 0, 0)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.EqualValues(t, 8, recs[0].Position)
}
