package esbus

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// rawWay is how toMessage read an event's metadata before readFlat: each
// value as a json.RawMessage, then unquoted.
func rawWay(metadata []byte) message.Metadata {
	md := message.Metadata{}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(metadata, &obj); err != nil {
		md["metadata"] = string(metadata)
		return md
	}
	for k, raw := range obj {
		md[k] = rawString(raw)
	}
	return md
}

func TestToMessage_ReadsMetadataAsTheRawMessageWayDid(t *testing.T) {
	for _, metadata := range []string{
		`{"actor_id":"u-1","actor_role":"citizen","source_ip":"10.0.0.1"}`,
		` { "a" : "x" , "b":null, "c":12.50, "d":true, "e":[1, "2", {"f":null}], "g":{"h": "i"} } `,
		`{"esc":"tab\there \"quoted\" \u00e9\u2028 \ud83d\ude00 \/","empty":""}`,
		`{"twice":"first","twice":"second"}`,
		`{}`,
		`{"message_uuid":"m-1","position":"forged","actor_id":"u"}`,
		`[1,2]`, `"just a string"`, `null`, `{"a":"b"} trailing`, `{"a":"b",}`, `{"a"}`, `{"bad":"` + "\xff\xfe" + `"}`,
		`{"a":"b"}{"c":"d"}`, `{"n":1e400}`,
	} {
		ev := eventstore.RecordedEvent{
			ID: uuid.New(), StreamID: "account-1", Version: 2, Position: 9, Type: "T", SchemaVersion: 1,
			OccurredAt: time.Date(2026, 12, 3, 9, 0, 0, 123456000, time.UTC), Metadata: []byte(metadata),
		}
		want := rawWay(ev.Metadata)
		id := ev.ID.String()
		if orig := want[MetadataMessageUUID]; orig != "" {
			id = orig
			delete(want, MetadataMessageUUID)
		}
		want[MetadataEventID] = ev.ID.String()
		want[MetadataEventType], want[MetadataStreamID], want[MetadataVersion] = "T", "account-1", "2"
		want[MetadataPosition], want[MetadataSchemaVersion] = "9", "1"
		want[MetadataOccurredAt] = "2026-12-03T09:00:00.123456Z"
		msg := toMessage(ev)
		assert.Equal(t, want, msg.Metadata, "metadata %q", metadata)
		assert.Equal(t, id, msg.UUID, "metadata %q", metadata)
	}
}

func TestEvent_ADeliveredMessageCarriesTheEventAsStored(t *testing.T) {
	ev := eventstore.RecordedEvent{
		ID: uuid.New(), StreamID: "account-1", Version: 0, Position: 7, Type: "AccountRegistered", SchemaVersion: 1,
		OccurredAt: time.Now().UTC(), RecordedAt: time.Now().UTC(),
		Data: []byte(`{"n":1}`), Metadata: []byte(`{"z":"last","a":"first"}`),
	}
	msg := toMessage(ev)
	msg.SetContext(withRecorded(context.Background(), ev))
	got, err := Event(msg)
	require.NoError(t, err)
	assert.Equal(t, ev, got, "metadata byte for byte, and when it was recorded")

	rebuilt, err := Event(toMessage(ev))
	require.NoError(t, err)
	assert.True(t, rebuilt.RecordedAt.IsZero(), "a message without the event is rebuilt from its metadata")
	assert.JSONEq(t, string(ev.Metadata), string(rebuilt.Metadata))

	other := toMessage(eventstore.RecordedEvent{ID: uuid.New(), Position: 8, StreamID: "account-2", Type: "X", OccurredAt: ev.OccurredAt})
	other.SetContext(msg.Context()) // a context carrying another event
	got, err = Event(other)
	require.NoError(t, err)
	assert.Equal(t, uint64(8), got.Position, "the carried event counts only for its own message")
	assert.Equal(t, "account-2", got.StreamID)
}
