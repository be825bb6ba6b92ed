package esbus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/esbus"
)

const wait = 5 * time.Second

var t0 = time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.UTC)

// appendEvent appends one event to stream and returns it as recorded.
func appendEvent(t *testing.T, store eventstore.Store, stream, typ string, metadata string) eventstore.RecordedEvent {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	res, err := store.Append(context.Background(), stream, eventstore.Any, []eventstore.EventData{{
		ID: id, Type: typ, SchemaVersion: 2, Data: []byte(`{"n":"` + typ + `"}`),
		Metadata: []byte(metadata), OccurredAt: t0,
	}})
	require.NoError(t, err)
	return eventstore.RecordedEvent{Position: res.LastPosition, StreamID: stream, Version: res.NextVersion, ID: id, Type: typ}
}

func newSubscriber(t *testing.T, store eventstore.Store, cfg esbus.SubscriberConfig) *esbus.Subscriber {
	t.Helper()
	if cfg.NackBackoff == 0 {
		cfg.NackBackoff = 10 * time.Millisecond
	}
	if cfg.ResubscribeBackoff == 0 {
		cfg.ResubscribeBackoff = 10 * time.Millisecond
	}
	sub, err := esbus.NewSubscriber(store, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sub.Close()) })
	return sub
}

// receive waits for the next message.
func receive(t *testing.T, msgs <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-msgs:
		require.True(t, ok, "messages channel closed")
		return msg
	case <-time.After(wait):
		t.Fatal("no message in time")
		return nil
	}
}

// assertQuiet checks that nothing arrives for a moment.
func assertQuiet(t *testing.T, msgs <-chan *message.Message) {
	t.Helper()
	select {
	case msg, ok := <-msgs:
		if ok {
			t.Fatalf("unexpected message %s (%s)", msg.UUID, msg.Metadata.Get(esbus.MetadataStreamID))
		}
	case <-time.After(100 * time.Millisecond):
	}
}

func TestInTopic_TopicIsAStreamCategoryPrefix(t *testing.T) {
	cases := []struct {
		topic, stream string
		want          bool
	}{
		{"account", "account-0190aa", true},
		{"account", "account-archive-1", true},
		{"account", "accountant-1", false},
		{"account", "account", false},
		{"account", "account-", false},
		{"account", "journal-account-1", false},
		{"topic-1", "topic-10-messages", false},
		{"topic-1", "topic-1-messages", true},
		{esbus.AllTopic, "anything", true},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, esbus.InTopic(c.topic, c.stream), "%s in %s", c.stream, c.topic)
	}
}

func TestSubscribe_DeliversTheTopicsEventsInOrderWithTheirMetadata(t *testing.T) {
	store := newMemStore()
	a1 := appendEvent(t, store, "account-1", "AccountRegistered", `{"correlation_id":"c-1","actor_id":"u-7","attempt":3}`)
	appendEvent(t, store, "journal-1", "Noise", `{}`)
	appendEvent(t, store, "accountant-1", "Noise", `{}`)
	a2 := appendEvent(t, store, "account-2", "ContactConfirmed", `{"causation_id":"cmd-9"}`)
	a3 := appendEvent(t, store, "account-1", "IdentityVerified", ``)

	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(context.Background(), "account")
	require.NoError(t, err)

	first := receive(t, msgs)
	assert.Equal(t, a1.ID.String(), first.UUID)
	assert.JSONEq(t, `{"n":"AccountRegistered"}`, string(first.Payload))
	assert.Equal(t, message.Metadata{
		"event_id": a1.ID.String(), "event_type": "AccountRegistered", "stream_id": "account-1",
		"version": "0", "position": "1", "schema_version": "2",
		"occurred_at":    "2025-03-01T09:30:00.123456789Z",
		"correlation_id": "c-1", "actor_id": "u-7", "attempt": "3",
	}, first.Metadata)
	assert.Equal(t, "c-1", middleware.MessageCorrelationID(first))
	require.True(t, first.Ack())

	for _, want := range []eventstore.RecordedEvent{a2, a3} {
		msg := receive(t, msgs)
		assert.Equal(t, want.ID.String(), msg.UUID)
		assert.Equal(t, want.StreamID, msg.Metadata.Get(esbus.MetadataStreamID))
		assert.Equal(t, fmt.Sprint(want.Position), msg.Metadata.Get(esbus.MetadataPosition))
		require.True(t, msg.Ack())
	}
	assertQuiet(t, msgs)

	live := appendEvent(t, store, "account-3", "AccountRegistered", `{}`)
	assert.Equal(t, live.ID.String(), receive(t, msgs).UUID, "the live tail follows")
}

func TestSubscribe_AllTopicDeliversEveryEvent(t *testing.T) {
	store := newMemStore()
	var want []string
	for _, stream := range []string{"account-1", "journal-1", "x-y"} {
		want = append(want, appendEvent(t, store, stream, "E", `{}`).ID.String())
	}
	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(context.Background(), esbus.AllTopic)
	require.NoError(t, err)
	for _, id := range want {
		msg := receive(t, msgs)
		assert.Equal(t, id, msg.UUID)
		msg.Ack()
	}
}

// Events the consumer says it already has come as no message; the others
// still come, in order.
func TestSubscribe_EventsTheConsumerAlreadyHandledComeAsNoMessage(t *testing.T) {
	store := newMemStore()
	var recs []eventstore.RecordedEvent
	for _, typ := range []string{"A", "B", "C", "D", "E"} {
		recs = append(recs, appendEvent(t, store, "account-1", typ, `{}`))
	}
	taken := map[uint64]bool{recs[1].Position: true, recs[2].Position: true, recs[4].Position: true}
	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{
		Handled: func(p uint64) bool { return taken[p] },
	}).Subscribe(context.Background(), "account")
	require.NoError(t, err)
	for _, want := range []eventstore.RecordedEvent{recs[0], recs[3]} {
		msg := receive(t, msgs)
		assert.Equal(t, want.ID.String(), msg.UUID)
		msg.Ack()
	}
	assertQuiet(t, msgs)
}

func TestSubscribe_NextMessageWaitsForTheAck(t *testing.T) {
	store := newMemStore()
	appendEvent(t, store, "account-1", "A", `{}`)
	second := appendEvent(t, store, "account-1", "B", `{}`)
	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(context.Background(), "account")
	require.NoError(t, err)

	first := receive(t, msgs)
	assertQuiet(t, msgs)
	first.Ack()
	select {
	case <-first.Context().Done():
	case <-time.After(wait):
		t.Fatal("message context not ended by Ack")
	}
	assert.Equal(t, second.ID.String(), receive(t, msgs).UUID)
}

func TestSubscribe_NackRedeliversTheSameEventFirst(t *testing.T) {
	store := newMemStore()
	first := appendEvent(t, store, "account-1", "A", `{}`)
	second := appendEvent(t, store, "account-1", "B", `{}`)
	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(context.Background(), "account")
	require.NoError(t, err)

	for range 3 {
		msg := receive(t, msgs)
		require.Equal(t, first.ID.String(), msg.UUID)
		msg.Nack()
	}
	msg := receive(t, msgs)
	require.Equal(t, first.ID.String(), msg.UUID)
	msg.Ack()
	assert.Equal(t, second.ID.String(), receive(t, msgs).UUID)
}

func TestSubscribe_ResumesAfterTheGroupsLastAckedEvent(t *testing.T) {
	store := newMemStore()
	cps, err := esbus.NewSQLCheckpoints(context.Background(), sqltest.SQLite(t))
	require.NoError(t, err)
	var ids []string
	for i := range 5 {
		ids = append(ids, appendEvent(t, store, fmt.Sprintf("account-%d", i%2), "E", `{}`).ID.String())
	}
	appendEvent(t, store, "other-1", "E", `{}`)
	cfg := esbus.SubscriberConfig{ConsumerGroup: "cabinet", Checkpoints: cps, SaveOnAck: true}

	sub, err := esbus.NewSubscriber(store, cfg)
	require.NoError(t, err)
	msgs, err := sub.Subscribe(context.Background(), "account")
	require.NoError(t, err)
	for _, id := range ids[:3] {
		msg := receive(t, msgs)
		require.Equal(t, id, msg.UUID)
		msg.Ack()
	}
	unacked := receive(t, msgs) // handed out, never acked: must come again
	require.Equal(t, ids[3], unacked.UUID)
	require.NoError(t, sub.Close())
	_, open := <-msgs
	require.False(t, open, "Close closes the channel")

	pos, err := cps.Load(context.Background(), "cabinet")
	require.NoError(t, err)
	assert.Equal(t, uint64(3), pos)

	msgs, err = newSubscriber(t, store, cfg).Subscribe(context.Background(), "account")
	require.NoError(t, err)
	for _, id := range ids[3:] {
		msg := receive(t, msgs)
		require.Equal(t, id, msg.UUID, "continues after the checkpoint, nothing repeated or missed")
		msg.Ack()
	}
	assertQuiet(t, msgs)
}

func TestSubscribe_WithoutSaveOnAckTheHandlersOwnCheckpointCounts(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store := newMemStore()
	cps, err := esbus.NewSQLCheckpoints(ctx, db)
	require.NoError(t, err)
	for range 3 {
		appendEvent(t, store, "account-1", "E", `{}`)
	}
	cfg := esbus.SubscriberConfig{ConsumerGroup: "status", Checkpoints: cps}

	sub, err := esbus.NewSubscriber(store, cfg)
	require.NoError(t, err)
	msgs, err := sub.Subscribe(ctx, "account")
	require.NoError(t, err)
	msg := receive(t, msgs)
	pos, err := esbus.Position(msg)
	require.NoError(t, err)
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, cps.SaveTx(ctx, tx, "status", pos))
	require.NoError(t, tx.Commit())
	msg.Ack()
	second := receive(t, msgs)
	second.Ack() // acked but not saved by the handler
	require.NoError(t, sub.Close())

	msgs, err = newSubscriber(t, store, cfg).Subscribe(ctx, "account")
	require.NoError(t, err)
	assert.Equal(t, second.UUID, receive(t, msgs).UUID)
}

func TestSubscribe_FollowsAgainAfterTheStoreSubscriptionBreaks(t *testing.T) {
	store := newMemStore()
	store.failAfter = 2
	var ids []string
	for range 5 {
		ids = append(ids, appendEvent(t, store, "account-1", "E", `{}`).ID.String())
	}
	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(context.Background(), "account")
	require.NoError(t, err)
	for _, id := range ids {
		msg := receive(t, msgs)
		require.Equal(t, id, msg.UUID)
		msg.Ack()
	}
	assertQuiet(t, msgs)
	assert.GreaterOrEqual(t, store.subscribeCalls(), 3)
}

func TestSubscribe_ContextEndClosesTheChannel(t *testing.T) {
	store := newMemStore()
	appendEvent(t, store, "account-1", "E", `{}`)
	ctx, cancel := context.WithCancel(context.Background())
	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(ctx, "account")
	require.NoError(t, err)
	msg := receive(t, msgs)
	cancel()
	select {
	case <-msg.Context().Done():
	case <-time.After(wait):
		t.Fatal("message context outlives the subscription")
	}
	select {
	case _, open := <-msgs:
		assert.False(t, open)
	case <-time.After(wait):
		t.Fatal("channel not closed")
	}
}

func TestSubscriber_AfterCloseRefusesToSubscribe(t *testing.T) {
	sub, err := esbus.NewSubscriber(newMemStore(), esbus.SubscriberConfig{})
	require.NoError(t, err)
	require.NoError(t, sub.Close())
	require.NoError(t, sub.Close(), "Close twice is fine")
	_, err = sub.Subscribe(context.Background(), "account")
	assert.ErrorIs(t, err, esbus.ErrClosed)
}

func TestNewSubscriber_RejectsIncoherentConfigs(t *testing.T) {
	_, err := esbus.NewSubscriber(nil, esbus.SubscriberConfig{})
	assert.Error(t, err)
	_, err = esbus.NewSubscriber(newMemStore(), esbus.SubscriberConfig{ConsumerGroup: "g"})
	assert.Error(t, err, "a group needs checkpoints")
	_, err = esbus.NewSubscriber(newMemStore(), esbus.SubscriberConfig{SaveOnAck: true})
	assert.Error(t, err, "SaveOnAck needs a group")
}
