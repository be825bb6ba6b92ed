package eventstoretest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

var readCases = []Case{
	{"ReadStream_ForwardFromVersionWithLimit", testReadForward},
	{"ReadStream_BackwardFromVersionOrEndWithLimit", testReadBackward},
	{"ReadStream_MissingStreamReadsEmpty", testReadMissing},
	{"ReadAll_PagesThroughTheLogGapFree", testReadAllPaging},
	{"Head_IsTheLastCommittedPosition", testHead},
}

// versions lists the versions of events.
func versions(events []eventstore.RecordedEvent) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Version
	}
	return out
}

func testReadForward(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	mustAppend(t, s, st, eventstore.NoStream, evs(10))
	ctx := ctxT(t)
	cases := []struct {
		from  int64
		limit int
		want  []int64
	}{
		{0, 3, []int64{0, 1, 2}},
		{4, 3, []int64{4, 5, 6}},
		{8, 5, []int64{8, 9}},
		{10, 5, []int64{}},
		{0, 100, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
	}
	for _, c := range cases {
		got, err := s.ReadStream(ctx, st, eventstore.Forward, c.from, c.limit)
		require.NoError(t, err)
		assert.Equal(t, c.want, versions(got), "forward from %d limit %d", c.from, c.limit)
	}
}

func testReadBackward(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	mustAppend(t, s, st, eventstore.NoStream, evs(10))
	ctx := ctxT(t)
	cases := []struct {
		from  int64
		limit int
		want  []int64
	}{
		{-1, 3, []int64{9, 8, 7}},
		{9, 2, []int64{9, 8}},
		{4, 3, []int64{4, 3, 2}},
		{1, 5, []int64{1, 0}},
		{20, 2, []int64{9, 8}},
	}
	for _, c := range cases {
		got, err := s.ReadStream(ctx, st, eventstore.Backward, c.from, c.limit)
		require.NoError(t, err)
		assert.Equal(t, c.want, versions(got), "backward from %d limit %d", c.from, c.limit)
	}
}

func testReadMissing(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, stream("other"), eventstore.NoStream, evs(1))
	ctx := ctxT(t)
	for _, dir := range []eventstore.Direction{eventstore.Forward, eventstore.Backward} {
		got, err := s.ReadStream(ctx, stream("missing"), dir, 0, 10)
		require.NoError(t, err)
		assert.Empty(t, got)
	}
}

func testReadAllPaging(t *testing.T, s eventstore.Store) {
	h0 := head(t, s)
	a, b := stream("a"), stream("b")
	var want []eventstore.EventData
	for i := range 4 {
		for _, st := range []string{a, b} {
			e := evs(2)
			exp := eventstore.Exact(int64(2*i - 1))
			if i == 0 {
				exp = eventstore.NoStream
			}
			mustAppend(t, s, st, exp, e)
			want = append(want, e...)
		}
	}
	var got []eventstore.RecordedEvent
	pos := h0
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging does not end")
		page, err := s.ReadAll(ctxT(t), pos, 3)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 3)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		pos = page[len(page)-1].Position
	}
	requireGapFree(t, got, h0)
	assert.Equal(t, ids(want), ids(got), "the log holds the appends in order")
	assert.Equal(t, got[len(got)-1].Position, head(t, s))
}

func testHead(t *testing.T, s eventstore.Store) {
	h0 := head(t, s)
	res := mustAppend(t, s, stream("acc"), eventstore.NoStream, evs(3))
	assert.Equal(t, h0+3, res.LastPosition)
	assert.Equal(t, res.LastPosition, head(t, s))
	after, err := s.ReadAll(ctxT(t), res.LastPosition, 10)
	require.NoError(t, err)
	assert.Empty(t, after, "nothing after the head")
}
