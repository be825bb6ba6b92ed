package kurrent

import (
	"bytes"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

func TestExpectedRevision_MapsEachPreconditionOntoTheClient(t *testing.T) {
	cases := []struct {
		in   eventstore.ExpectedVersion
		want esdb.ExpectedRevision
	}{
		{eventstore.NoStream, esdb.NoStream{}},
		{eventstore.Any, esdb.Any{}},
		{eventstore.Exact(0), esdb.StreamRevision{Value: 0}},
		{eventstore.Exact(41), esdb.StreamRevision{Value: 41}},
	}
	for _, c := range cases {
		got, err := expectedRevision(c.in)
		require.NoError(t, err, c.in.String())
		assert.Equal(t, c.want, got, c.in.String())
	}
	_, err := expectedRevision(eventstore.ExpectedVersion(-3))
	assert.Error(t, err, "-3 is no precondition")
}

func TestMetadataEnvelope_CallerMetadataRoundTripsByteExact(t *testing.T) {
	occurred := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("MSK", 3*3600))
	cases := []struct {
		name string
		meta []byte
		b64  bool
	}{
		{"nil", nil, false},
		{"object with odd spacing", []byte(`{"z":null,  "a":"Иван",` + "\r\n" + `"x":{}}`), false},
		{"array", []byte(`[1, 2 ,3]`), false},
		{"string", []byte(`"plain"`), false},
		{"empty", []byte{}, true},
		{"leading whitespace", []byte(" {}"), true},
		{"trailing newline", []byte("{}\n"), true},
		{"not JSON", []byte("correlation=c-1"), true},
		{"not UTF-8", []byte{'"', 0xff, '"'}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := eventstore.EventData{SchemaVersion: 7, Metadata: c.meta, OccurredAt: occurred}
			raw := encodeMetadata(in)
			assert.Equal(t, c.b64, bytes.Contains(raw, []byte(keyMetadataB64)), "envelope %s", raw)
			meta, schema, at, ok := decodeMetadata(raw)
			require.True(t, ok, "envelope %s", raw)
			assert.Equal(t, c.meta == nil, meta == nil, "nil stays nil, empty stays empty")
			assert.Equal(t, string(c.meta), string(meta))
			assert.Equal(t, 7, schema)
			assert.True(t, at.Equal(occurred.Truncate(time.Microsecond)), "occurred %s", at)
			assert.Equal(t, time.UTC, at.Location())
		})
	}
}

func TestMetadataEnvelope_IsReadableJSON(t *testing.T) {
	raw := encodeMetadata(eventstore.EventData{
		SchemaVersion: 2, Metadata: []byte(`{"correlation_id":"c-1"}`),
		OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC),
	})
	assert.JSONEq(t, `{"$schema_version":2,"$occurred_at":"2025-01-02T03:04:05.000006Z","$metadata":{"correlation_id":"c-1"}}`, string(raw))
}

func TestFromRecorded_ForeignMetadataIsKeptWholeAndOccurredAtIsTheRecordedTime(t *testing.T) {
	created := time.Date(2025, 5, 6, 7, 8, 9, 100, time.UTC)
	for _, meta := range [][]byte{nil, []byte(`{"$correlationId":"x"}`), []byte("bytes"), []byte(`{"$schema_version":1,"$occurred_at":"yesterday"}`)} {
		r := &esdb.RecordedEvent{
			EventID: uuid.New(), EventType: "Foreign", StreamID: "s-1", EventNumber: 3,
			CreatedDate: created, Data: []byte(`{}`), UserMetadata: meta,
		}
		got := fromRecorded(r, 9)
		assert.Equal(t, string(meta), string(got.Metadata))
		assert.Equal(t, 0, got.SchemaVersion)
		assert.Equal(t, created, got.OccurredAt)
		assert.Equal(t, uint64(9), got.Position)
		assert.Equal(t, int64(3), got.Version)
	}
}

func TestIsUserEvent_SystemStreamsAndTypesAreNotCounted(t *testing.T) {
	cases := []struct {
		stream, typ string
		want        bool
	}{
		{"account-1", "ContactConfirmed", true},
		{"$stats-127.0.0.1:2113", "$statsCollected", false},
		{"$$account-1", "$metadata", false},
		{"$ce-account", "$>", false},
		{"account-1", "$streamDeleted", false},
		{"$settings", "Settings", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, isUserEvent(c.stream, c.typ), "%s / %s", c.stream, c.typ)
	}
}

func TestValidate_RefusesWhatThePortOrTheServerWouldNot(t *testing.T) {
	ok := eventstore.EventData{ID: uuid.New(), Type: "Tested"}
	dup := eventstore.EventData{ID: ok.ID, Type: "Tested"}
	cases := map[string]struct {
		stream string
		exp    eventstore.ExpectedVersion
		evs    []eventstore.EventData
	}{
		"empty stream":  {"", eventstore.Any, []eventstore.EventData{ok}},
		"system stream": {"$settings", eventstore.Any, []eventstore.EventData{ok}},
		"bad expected":  {"s", -7, []eventstore.EventData{ok}},
		"no events":     {"s", eventstore.Any, nil},
		"nil id":        {"s", eventstore.Any, []eventstore.EventData{{Type: "Tested"}}},
		"empty type":    {"s", eventstore.Any, []eventstore.EventData{{ID: uuid.New()}}},
		"system type":   {"s", eventstore.Any, []eventstore.EventData{{ID: uuid.New(), Type: "$metadata"}}},
		"id twice":      {"s", eventstore.Any, []eventstore.EventData{ok, dup}},
	}
	for name, c := range cases {
		assert.Error(t, validate(c.stream, c.exp, c.evs), name)
	}
	assert.NoError(t, validate("s", eventstore.NoStream, []eventstore.EventData{ok}))
}
