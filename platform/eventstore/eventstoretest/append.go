package eventstoretest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

var appendCases = []Case{
	{"Append_NoStreamCreatesTheStream", testNoStreamCreates},
	{"Append_NoStreamOnExistingStreamConflicts", testNoStreamOnExisting},
	{"Append_ExactRightVersionAppends", testExactRight},
	{"Append_ExactWrongVersionConflictsAndWritesNothing", testExactWrong},
	{"Append_AnyAppendsToNewAndExistingStreams", testAny},
	{"Append_SameEventIDsAgainReturnsTheOriginalResult", testIdempotentNoStream},
	{"Append_RetryOfAnExactAppendIsIdempotent", testIdempotentExact},
	{"Append_DataAndMetadataRoundTripByteExact", testRoundTrip},
	{"Append_OccurredAtKeptInUTCToTheMicrosecond", testOccurredAt},
	{"Append_AfterCloseFailsWithErrClosed", testAfterClose},
}

func testNoStreamCreates(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	in := evs(3)
	res := mustAppend(t, s, st, eventstore.NoStream, in)
	assert.Equal(t, int64(2), res.NextVersion)
	assert.Equal(t, res.FirstPosition+2, res.LastPosition)
	assert.Equal(t, res.LastPosition, head(t, s))

	got := readStream(t, s, st)
	require.Len(t, got, 3)
	for i, e := range got {
		assert.Equal(t, st, e.StreamID)
		assert.Equal(t, int64(i), e.Version)
		assert.Equal(t, in[i].ID, e.ID)
		assert.Equal(t, res.FirstPosition+uint64(i), e.Position)
	}
}

func testNoStreamOnExisting(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	mustAppend(t, s, st, eventstore.NoStream, evs(1))
	_, err := s.Append(ctxT(t), st, eventstore.NoStream, evs(1))
	requireConflict(t, err, st, eventstore.NoStream, 0)
	assert.Len(t, readStream(t, s, st), 1)
}

func testExactRight(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	first := mustAppend(t, s, st, eventstore.NoStream, evs(2))
	res := mustAppend(t, s, st, eventstore.Exact(first.NextVersion), evs(2))
	assert.Equal(t, int64(3), res.NextVersion)
	assert.Greater(t, res.FirstPosition, first.LastPosition)
	assert.Len(t, readStream(t, s, st), 4)
}

func testExactWrong(t *testing.T, s eventstore.Store) {
	missing := stream("missing")
	_, err := s.Append(ctxT(t), missing, eventstore.Exact(0), evs(1))
	requireConflict(t, err, missing, eventstore.Exact(0), -1)
	assert.Empty(t, readStream(t, s, missing))

	st := stream("acc")
	mustAppend(t, s, st, eventstore.NoStream, evs(3)) // now at version 2
	before := head(t, s)
	for _, exp := range []eventstore.ExpectedVersion{eventstore.Exact(1), eventstore.Exact(3)} {
		_, err := s.Append(ctxT(t), st, exp, evs(1))
		requireConflict(t, err, st, exp, 2)
	}
	assert.Len(t, readStream(t, s, st), 3)
	assert.Equal(t, before, head(t, s), "a conflict writes nothing")
}

func testAny(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	res := mustAppend(t, s, st, eventstore.Any, evs(1))
	assert.Equal(t, int64(0), res.NextVersion)
	res = mustAppend(t, s, st, eventstore.Any, evs(2))
	assert.Equal(t, int64(2), res.NextVersion)
	assert.Len(t, readStream(t, s, st), 3)
}

func testIdempotentNoStream(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	in := evs(2)
	first := mustAppend(t, s, st, eventstore.NoStream, in)
	before := head(t, s)

	again, err := s.Append(ctxT(t), st, eventstore.NoStream, in)
	require.NoError(t, err, "a retried append is not a conflict")
	assert.Equal(t, first, again)
	assert.Len(t, readStream(t, s, st), 2)
	assert.Equal(t, before, head(t, s), "a retried append writes nothing")
}

func testIdempotentExact(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	mustAppend(t, s, st, eventstore.NoStream, evs(1))
	in := evs(2)
	first := mustAppend(t, s, st, eventstore.Exact(0), in)

	again, err := s.Append(ctxT(t), st, eventstore.Exact(0), in)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	again, err = s.Append(ctxT(t), st, eventstore.Any, in)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.Len(t, readStream(t, s, st), 3)
}

func testRoundTrip(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	// Whitespace, key order, escapes and big numbers that a JSON column
	// would normalise away.
	weird := ev("ContactConfirmed", 0)
	weird.SchemaVersion = 7
	weird.Data = []byte("{ \"b\" : 1,\n\t\"a\":[ 1.50, 1e3 ],\"ü\":\"\\u00fc\\n\",\"big\":123456789012345678901234567890 }")
	weird.Metadata = []byte(`{"z":null,  "a":"Иван",` + "\r\n" + `"x":{}}`)
	empty := ev("IdentityVerified", 1)
	empty.Metadata = nil
	in := []eventstore.EventData{weird, empty}
	res := mustAppend(t, s, st, eventstore.NoStream, in)

	check := func(where string, got []eventstore.RecordedEvent) {
		require.Len(t, got, 2, where)
		for i := range in {
			assert.Equal(t, in[i].Type, got[i].Type, where)
			assert.Equal(t, in[i].SchemaVersion, got[i].SchemaVersion, where)
			assert.Equal(t, string(in[i].Data), string(got[i].Data), where)
			assert.Equal(t, string(in[i].Metadata), string(got[i].Metadata), where)
		}
	}
	check("ReadStream", readStream(t, s, st))
	all, err := s.ReadAll(ctxT(t), res.FirstPosition-1, 2)
	require.NoError(t, err)
	check("ReadAll", all)
	sub, err := s.Subscribe(ctxT(t), res.FirstPosition-1)
	require.NoError(t, err)
	check("Subscribe", collect(t, sub, 2))
}

func testOccurredAt(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	before := time.Now().Add(-time.Minute)
	mustAppend(t, s, st, eventstore.NoStream, evs(1))
	got := readStream(t, s, st)
	require.Len(t, got, 1)
	want := occurred.UTC().Truncate(time.Microsecond)
	assert.True(t, want.Equal(got[0].OccurredAt), "occurred_at %s, want %s", got[0].OccurredAt, want)
	assert.Equal(t, time.UTC, got[0].OccurredAt.Location())
	assert.Equal(t, time.UTC, got[0].RecordedAt.Location())
	assert.True(t, got[0].RecordedAt.After(before), "recorded_at %s is the time of the append", got[0].RecordedAt)
}

func testAfterClose(t *testing.T, s eventstore.Store) {
	st := stream("acc")
	mustAppend(t, s, st, eventstore.NoStream, evs(1))
	require.NoError(t, s.Close())
	_, err := s.Append(ctxT(t), st, eventstore.Any, evs(1))
	require.Error(t, err)
	assert.True(t, errors.Is(err, eventstore.ErrClosed), "got %v", err)
}
