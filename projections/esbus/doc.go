// Package esbus bridges the event store's global log and watermill: a
// message.Subscriber that feeds handlers from eventstore.Store.Subscribe,
// resuming from a consumer group's checkpoint, a message.Publisher that
// appends messages as events, and the router every projection runs in.
//
// # Topics
//
// A topic names a stream category: topic "account" delivers the events of
// every stream whose id starts with "account-" ("account-0190…", …), in
// global-log order. The topic AllTopic ("$all") delivers every event. Topics
// are prefixes, so topic "account" also sees a stream "account-archive-1";
// pick category names that are not prefixes of one another plus a dash.
//
// # Messages
//
// One event is one message: UUID = event id, payload = event data, and the
// metadata carries the event's place in the store (MetadataEventType,
// MetadataStreamID, MetadataVersion, MetadataPosition,
// MetadataSchemaVersion, MetadataOccurredAt) plus every key of the event's
// JSON metadata object (correlation_id, causation_id, actor_id, …), so
// watermill's middleware.CorrelationID sees the command's correlation id.
//
// # Delivery
//
// A subscription delivers one message at a time and waits for its Ack before
// the next; a Nack redelivers the same event after SubscriberConfig.NackBackoff.
// Delivery is at-least-once: a consumer that stops between handling an event
// and saving its checkpoint sees that event again, so handlers are idempotent
// by (stream, version).
package esbus
