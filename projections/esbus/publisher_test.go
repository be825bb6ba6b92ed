package esbus_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/esbus"
)

func newPublisher(t *testing.T, store eventstore.Store) *esbus.Publisher {
	t.Helper()
	pub, err := esbus.NewPublisher(store, esbus.PublisherConfig{Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	return pub
}

func TestPublish_MessagesComeBackWithTheirUUIDPayloadAndMetadata(t *testing.T) {
	store := newMemStore()
	pub := newPublisher(t, store)

	plain := message.NewMessage("not-a-uuid", []byte("x"))
	plain.Metadata.Set("correlation_id", "c-1")
	plain.Metadata.Set(esbus.MetadataPosition, "999") // a store fact: dropped
	typed := message.NewMessage("0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000", []byte(`{"a":1}`))
	typed.Metadata.Set(esbus.MetadataEventType, "ContactConfirmed")
	typed.Metadata.Set(esbus.MetadataStreamSuffix, "42")
	require.NoError(t, pub.Publish("account", plain, typed))

	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(context.Background(), "account")
	require.NoError(t, err)

	got := receive(t, msgs)
	assert.Equal(t, "not-a-uuid", got.UUID)
	assert.Equal(t, "x", string(got.Payload))
	assert.Equal(t, "c-1", got.Metadata.Get("correlation_id"))
	assert.Equal(t, "1", got.Metadata.Get(esbus.MetadataPosition))
	assert.Equal(t, "account-messages", got.Metadata.Get(esbus.MetadataStreamID))
	assert.Equal(t, esbus.DefaultEventType, got.Metadata.Get(esbus.MetadataEventType))
	assert.Equal(t, "2025-03-01T09:30:00.123456789Z", got.Metadata.Get(esbus.MetadataOccurredAt))
	assert.Empty(t, got.Metadata.Get(esbus.MetadataMessageUUID))
	got.Ack()

	got = receive(t, msgs)
	assert.Equal(t, typed.UUID, got.UUID)
	assert.Equal(t, "account-42", got.Metadata.Get(esbus.MetadataStreamID))
	assert.Equal(t, "ContactConfirmed", got.Metadata.Get(esbus.MetadataEventType))
	got.Ack()
}

func TestPublish_OneMessageOnSeveralTopicsAndRetriesAreIdempotent(t *testing.T) {
	store := newMemStore()
	pub := newPublisher(t, store)
	msg := message.NewMessage("0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001", []byte("x"))
	require.NoError(t, pub.Publish("a", msg))
	require.NoError(t, pub.Publish("b", msg))

	evs, err := store.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.NotEqual(t, evs[0].ID, evs[1].ID, "event ids are unique store-wide")

	// A retried publish to the same stream carries the same event id, so a
	// store that deduplicates by id (all ours do) stores it once.
	require.NoError(t, pub.Publish("a", msg))
	evs, err = store.ReadAll(context.Background(), 0, 0)
	require.NoError(t, err)
	assert.Len(t, evs, 2)
}

func TestPublisher_AfterCloseRefusesToPublish(t *testing.T) {
	pub := newPublisher(t, newMemStore())
	require.NoError(t, pub.Close())
	require.NoError(t, pub.Close())
	assert.ErrorIs(t, pub.Publish("a", message.NewMessage("1", nil)), esbus.ErrClosed)
	assert.Error(t, newPublisher(t, newMemStore()).Publish(esbus.AllTopic, message.NewMessage("1", nil)))
}

func TestEvent_RebuildsTheRecordedEventFromAMessage(t *testing.T) {
	store := newMemStore()
	want := appendEvent(t, store, "account-1", "AccountRegistered", `{"actor_id":"u-1"}`)
	msgs, err := newSubscriber(t, store, esbus.SubscriberConfig{}).Subscribe(context.Background(), "account")
	require.NoError(t, err)

	got, err := esbus.Event(receive(t, msgs))
	require.NoError(t, err)
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.Position, got.Position)
	assert.Equal(t, "account-1", got.StreamID)
	assert.Equal(t, int64(0), got.Version)
	assert.Equal(t, "AccountRegistered", got.Type)
	assert.Equal(t, 2, got.SchemaVersion)
	assert.True(t, t0.Equal(got.OccurredAt))
	assert.JSONEq(t, `{"n":"AccountRegistered"}`, string(got.Data))
	assert.JSONEq(t, `{"actor_id":"u-1"}`, string(got.Metadata))
}

func TestSQLCheckpoints_NeverMoveBackwards(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		cps, err := esbus.NewSQLCheckpoints(ctx, db)
		require.NoError(t, err)
		_, err = esbus.NewSQLCheckpoints(ctx, db)
		require.NoError(t, err, "migrating twice is fine")

		pos, err := cps.Load(ctx, "cabinet")
		require.NoError(t, err)
		assert.Zero(t, pos, "no checkpoint yet")

		require.NoError(t, cps.Save(ctx, "cabinet", 7))
		require.NoError(t, cps.Save(ctx, "cabinet", 3))
		require.NoError(t, cps.Save(ctx, "status", 1))
		pos, err = cps.Load(ctx, "cabinet")
		require.NoError(t, err)
		assert.Equal(t, uint64(7), pos)

		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, cps.SaveTx(ctx, tx, "cabinet", 9))
		require.NoError(t, cps.SaveTx(ctx, tx, "cabinet", 8))
		require.NoError(t, tx.Rollback())
		pos, err = cps.Load(ctx, "cabinet")
		require.NoError(t, err)
		assert.Equal(t, uint64(7), pos, "a rolled-back transaction saves nothing")

		tx, err = db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, cps.SaveTx(ctx, tx, "cabinet", 9))
		require.NoError(t, tx.Commit())
		pos, err = cps.Load(ctx, "cabinet")
		require.NoError(t, err)
		assert.Equal(t, uint64(9), pos)
		pos, err = cps.Load(ctx, "status")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), pos)
	})
}
