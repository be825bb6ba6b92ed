package esbus

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/json/jsontext"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// Metadata keys the Subscriber sets on every message from the event's place
// in the store. They override keys of the same name in the event's own
// metadata, and the Publisher drops them from the metadata it stores.
const (
	MetadataEventType     = "event_type"
	MetadataStreamID      = "stream_id"
	MetadataVersion       = "version"
	MetadataPosition      = "position"
	MetadataSchemaVersion = "schema_version"
	MetadataOccurredAt    = "occurred_at"
)

// Metadata keys the Publisher reads.
const (
	// MetadataStreamSuffix picks the stream a published message is appended
	// to: "<topic>-<suffix>" (DefaultStreamSuffix when absent).
	MetadataStreamSuffix = "stream_id_suffix"
	// MetadataMessageUUID keeps the UUID of a published message in its
	// event's metadata; the Subscriber restores it as the message's UUID.
	MetadataMessageUUID = "message_uuid"
)

// MetadataEventID is the id of the event a message was made from. It equals
// the message's UUID except for events written by the Publisher.
const MetadataEventID = "event_id"

// publishedIDSpace is the UUIDv5 name space of the ids of published events.
var publishedIDSpace = uuid.MustParse("0b6f2a55-64a5-4d5e-9c3e-6b1d5a0e7a11")

// DefaultEventType is the event type of a published message without
// MetadataEventType.
const DefaultEventType = "Message"

// AllTopic is the topic that delivers every event of the global log.
const AllTopic = "$all"

// storeKeys are the metadata keys that describe where an event is stored;
// they are facts of the store, never copied from a message.
var storeKeys = []string{
	MetadataEventType, MetadataStreamID, MetadataVersion, MetadataPosition,
	MetadataSchemaVersion, MetadataOccurredAt, MetadataStreamSuffix, MetadataEventID,
}

// InTopic reports whether the stream belongs to topic (see the package
// documentation): AllTopic holds every stream, any other topic t holds the
// streams named "t-…".
func InTopic(topic, streamID string) bool {
	if topic == AllTopic {
		return true
	}
	return len(streamID) > len(topic)+1 && strings.HasPrefix(streamID, topic) && streamID[len(topic)] == '-'
}

// Position returns the global position a message was delivered from (its
// MetadataPosition), for consumers that save their checkpoint themselves.
func Position(msg *message.Message) (uint64, error) {
	v := msg.Metadata.Get(MetadataPosition)
	p, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("message %s: position %q: %w", msg.UUID, v, err)
	}
	return p, nil
}

// Event is the recorded event a message was made from, for consumers such
// as projectors that work on eventstore.RecordedEvent. A message a
// Subscriber delivered carries the event itself, as read from the store.
// Any other (one a poison queue replays, say) is rebuilt from its metadata:
// Metadata is the message's metadata less the store's own keys, as a JSON
// object, and RecordedAt is not carried and stays zero.
func Event(msg *message.Message) (eventstore.RecordedEvent, error) {
	pos, err := Position(msg)
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	if ev, ok := msg.Context().Value(recordedKey{}).(eventstore.RecordedEvent); ok &&
		ev.Position == pos && ev.ID.String() == msg.Metadata.Get(MetadataEventID) {
		return ev, nil
	}
	md := msg.Metadata
	ev := eventstore.RecordedEvent{
		Position: pos,
		StreamID: md.Get(MetadataStreamID),
		Type:     md.Get(MetadataEventType),
		Data:     msg.Payload,
	}
	if ev.Version, err = strconv.ParseInt(md.Get(MetadataVersion), 10, 64); err != nil {
		return ev, fmt.Errorf("message %s: version: %w", msg.UUID, err)
	}
	if ev.SchemaVersion, err = strconv.Atoi(md.Get(MetadataSchemaVersion)); err != nil {
		return ev, fmt.Errorf("message %s: schema version: %w", msg.UUID, err)
	}
	if ev.OccurredAt, err = time.Parse(time.RFC3339Nano, md.Get(MetadataOccurredAt)); err != nil {
		return ev, fmt.Errorf("message %s: occurred at: %w", msg.UUID, err)
	}
	if ev.ID, err = uuid.Parse(md.Get(MetadataEventID)); err != nil {
		return ev, fmt.Errorf("message %s: event id: %w", msg.UUID, err)
	}
	if ev.Metadata, err = json.Marshal(userMetadata(md)); err != nil {
		return ev, fmt.Errorf("message %s: metadata: %w", msg.UUID, err)
	}
	return ev, nil
}

// recordedKey is the context key under which a delivered message carries
// the event it was made from.
type recordedKey struct{}

// withRecorded is ctx carrying ev, for the message made from it.
func withRecorded(ctx context.Context, ev eventstore.RecordedEvent) context.Context {
	return context.WithValue(ctx, recordedKey{}, ev)
}

// Message is the message the Subscriber delivers for ev: what a handler
// outside the router (a catch-up that poisons an event) hands on.
func Message(ev eventstore.RecordedEvent) *message.Message { return toMessage(ev) }

// toMessage turns a recorded event into a fresh, unacknowledged message.
func toMessage(ev eventstore.RecordedEvent) *message.Message {
	md := make(message.Metadata, 16)
	if len(ev.Metadata) > 0 && !readFlat(md, ev.Metadata) {
		clear(md)
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(ev.Metadata, &obj); err == nil {
			for k, raw := range obj {
				md[k] = rawString(raw)
			}
		} else {
			// Not an object: keep it whole rather than lose it.
			md["metadata"] = string(ev.Metadata)
		}
	}
	eventID := ev.ID.String()
	id := eventID
	if orig := md[MetadataMessageUUID]; orig != "" {
		id = orig
		delete(md, MetadataMessageUUID)
	}
	md[MetadataEventID] = eventID
	md[MetadataEventType] = ev.Type
	md[MetadataStreamID] = ev.StreamID
	md[MetadataVersion] = strconv.FormatInt(ev.Version, 10)
	md[MetadataPosition] = strconv.FormatUint(ev.Position, 10)
	md[MetadataSchemaVersion] = strconv.Itoa(ev.SchemaVersion)
	md[MetadataOccurredAt] = ev.OccurredAt.UTC().Format(time.RFC3339Nano)

	msg := message.NewMessage(id, ev.Data)
	msg.Metadata = md
	return msg
}

// readFlat reads metadata, a JSON object, into md in one pass, as the
// json.RawMessage way in toMessage does (strings unquoted, null empty,
// anything else as its JSON text, a name given twice as its last value),
// and reports whether it could: text that is not valid JSON in UTF-8 is
// left to that way, which decides it as it always has.
func readFlat(md message.Metadata, metadata []byte) bool {
	f := flatReaders.Get().(*flatReader)
	defer flatReaders.Put(f)
	f.src.Reset(metadata)
	f.dec.Reset(&f.src, jsontext.AllowDuplicateNames(true))
	dec := &f.dec
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return false
		}
		name := tok.String() // a token lasts until the next read
		switch dec.PeekKind() {
		case '"':
			v, err := dec.ReadToken()
			if err != nil {
				return false
			}
			md[name] = v.String()
		case 'n':
			if _, err := dec.ReadToken(); err != nil {
				return false
			}
			md[name] = ""
		default:
			v, err := dec.ReadValue()
			if err != nil {
				return false
			}
			md[name] = string(v)
		}
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return false
	}
	_, err := dec.ReadToken()
	return err == io.EOF
}

// flatReader is a decoder kept for readFlat with the reader it reads.
type flatReader struct {
	src bytes.Reader
	dec jsontext.Decoder
}

var flatReaders = sync.Pool{New: func() any { return new(flatReader) }}

// rawString renders one JSON metadata value as a watermill metadata string:
// strings unquoted, null empty, anything else as its JSON text.
func rawString(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// userMetadata is md less the keys that describe where an event is stored.
func userMetadata(md message.Metadata) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[k] = v
	}
	for _, k := range storeKeys {
		delete(out, k)
	}
	return out
}

// toEvent turns a message bound for stream into an event to append.
//
// The event id is derived from (stream, message UUID) rather than being the
// message UUID: event ids are unique across the whole store, while watermill
// lets one message (one UUID) go to several topics. Derived ids keep a
// retried Publish idempotent; the message UUID travels in
// MetadataMessageUUID and comes back as the delivered message's UUID.
func toEvent(stream string, msg *message.Message, now time.Time) (eventstore.EventData, error) {
	md := userMetadata(msg.Metadata)
	md[MetadataMessageUUID] = msg.UUID
	meta, err := json.Marshal(md)
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("message %s: metadata: %w", msg.UUID, err)
	}
	typ := msg.Metadata.Get(MetadataEventType)
	if typ == "" {
		typ = DefaultEventType
	}
	schema := 1
	if s, err := strconv.Atoi(msg.Metadata.Get(MetadataSchemaVersion)); err == nil && s > 0 {
		schema = s
	}
	return eventstore.EventData{
		ID:            uuid.NewSHA1(publishedIDSpace, []byte(stream+"\n"+msg.UUID)),
		Type:          typ,
		SchemaVersion: schema,
		Data:          msg.Payload,
		Metadata:      meta,
		OccurredAt:    now,
	}, nil
}
