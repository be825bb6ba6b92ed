package kurrent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// The envelope is the JSON object stored as an event's custom metadata:
//
//	{"$schema_version":7,"$occurred_at":"2025-03-14T12:09:26.535897Z","$metadata":{…}}
//
// "$metadata" holds the caller's metadata verbatim when it is a UTF-8 JSON
// value with no surrounding whitespace (the normal case), so it stays readable in
// KurrentDB's UI and projections; otherwise "$metadata_b64" holds it in
// base64. A nil Metadata has neither key. Keys start with "$" like
// KurrentDB's own metadata keys ($correlationId, $causationId).
const (
	keySchema      = "$schema_version"
	keyOccurred    = "$occurred_at"
	keyMetadata    = "$metadata"
	keyMetadataB64 = "$metadata_b64"
)

// occurredLayout keeps OccurredAt to the microsecond, in UTC, as the
// contract asks.
const occurredLayout = "2006-01-02T15:04:05.000000Z"

// encodeMetadata builds the envelope by hand: json.Marshal would compact
// (and so change) embedded raw metadata.
func encodeMetadata(e eventstore.EventData) []byte {
	var b bytes.Buffer
	b.WriteString(`{"` + keySchema + `":`)
	b.WriteString(strconv.Itoa(e.SchemaVersion))
	b.WriteString(`,"` + keyOccurred + `":"`)
	b.WriteString(e.OccurredAt.UTC().Truncate(time.Microsecond).Format(occurredLayout))
	b.WriteByte('"')
	switch m := e.Metadata; {
	case m == nil:
	case len(m) > 0 && len(bytes.TrimSpace(m)) == len(m) && utf8.Valid(m) && json.Valid(m):
		b.WriteString(`,"` + keyMetadata + `":`)
		b.Write(m)
	default:
		b.WriteString(`,"` + keyMetadataB64 + `":"`)
		b.WriteString(base64.StdEncoding.EncodeToString(m))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.Bytes()
}

// envelope is the decoded form. json.RawMessage receives the exact bytes of
// the embedded value, whitespace and all.
type envelope struct {
	Schema   *int            `json:"$schema_version"`
	Occurred string          `json:"$occurred_at"`
	Metadata json.RawMessage `json:"$metadata"`
	B64      *string         `json:"$metadata_b64"`
}

// decodeMetadata splits custom metadata into the caller's metadata,
// SchemaVersion and OccurredAt. Metadata that is not an envelope (an event
// some other writer appended) is returned whole, with SchemaVersion 0 and
// ok false; the caller then uses the recorded time for OccurredAt.
func decodeMetadata(raw []byte) (meta []byte, schema int, occurred time.Time, ok bool) {
	var env envelope
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &env) != nil || env.Schema == nil {
		return raw, 0, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, env.Occurred)
	if err != nil {
		return raw, 0, time.Time{}, false
	}
	switch {
	case env.Metadata != nil:
		meta = []byte(env.Metadata)
	case env.B64 != nil:
		if meta, err = base64.StdEncoding.DecodeString(*env.B64); err != nil {
			return raw, 0, time.Time{}, false
		}
	}
	return meta, *env.Schema, t.UTC(), true
}

// toEventData converts an event of the port to the client's form.
func toEventData(e eventstore.EventData) esdb.EventData {
	return esdb.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        e.Data,
		Metadata:    encodeMetadata(e),
	}
}

// fromRecorded converts a recorded event to the port's form, with the
// global position the index gave it.
func fromRecorded(r *esdb.RecordedEvent, position uint64) eventstore.RecordedEvent {
	meta, schema, occurred, ok := decodeMetadata(r.UserMetadata)
	recorded := r.CreatedDate.UTC()
	if !ok {
		occurred = recorded
	}
	return eventstore.RecordedEvent{
		Position:      position,
		StreamID:      r.StreamID,
		Version:       int64(r.EventNumber),
		ID:            uuid.UUID(r.EventID),
		Type:          r.EventType,
		SchemaVersion: schema,
		Data:          r.Data,
		Metadata:      meta,
		OccurredAt:    occurred,
		RecordedAt:    recorded,
	}
}

// validate refuses what neither the port nor the server would accept.
func validate(stream string, expected eventstore.ExpectedVersion, events []eventstore.EventData) error {
	if stream == "" {
		return fmt.Errorf("empty stream id")
	}
	if stream[0] == '$' {
		return fmt.Errorf("stream id %q: names starting with $ are KurrentDB's system streams", stream)
	}
	if expected < eventstore.Any {
		return fmt.Errorf("invalid expected version %d", int64(expected))
	}
	if len(events) == 0 {
		return fmt.Errorf("no events")
	}
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, e := range events {
		switch {
		case e.ID == uuid.Nil:
			return fmt.Errorf("event %d: nil id", i)
		case e.Type == "":
			return fmt.Errorf("event %d: empty type", i)
		case e.Type[0] == '$':
			return fmt.Errorf("event %d: type %q: types starting with $ are KurrentDB's system events", i, e.Type)
		}
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("event %d: id %s twice", i, e.ID)
		}
		seen[e.ID] = struct{}{}
	}
	return nil
}
