package poison_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/poison"
)

var t0 = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

func newQueue(t *testing.T, db *sqldb.DB, now *time.Time) *poison.Queue {
	t.Helper()
	q, err := poison.New(context.Background(), db, poison.Options{Now: func() time.Time { return *now }})
	require.NoError(t, err)
	return q
}

// poisoned is a message as watermill's PoisonQueue middleware hands it over.
func poisoned(uuid, handler, reason string, position string) *message.Message {
	msg := message.NewMessage(uuid, []byte(`{"n":1}`))
	msg.Metadata.Set("correlation_id", "c-"+uuid)
	msg.Metadata.Set(esbus.MetadataPosition, position)
	msg.Metadata.Set(middleware.ReasonForPoisonedKey, reason)
	msg.Metadata.Set(middleware.PoisonedHandlerKey, handler)
	msg.Metadata.Set(middleware.PoisonedTopicKey, "account")
	msg.Metadata.Set(middleware.PoisonedSubscriberKey, "sub")
	return msg
}

func TestQueue_StoresPoisonedMessagesWithTheirReason(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := t0
		q := newQueue(t, db, &now)
		_, err := poison.New(ctx, db, poison.Options{})
		require.NoError(t, err, "migrating twice is fine")

		require.NoError(t, q.Publish(esbus.PoisonTopic,
			poisoned("m-1", "cabinet", "boom: bad data", "17"),
			poisoned("m-2", "status", "other", "18"),
			poisoned("m-3", "cabinet", "boom again", "19")))

		all, err := q.List(ctx, "", 0)
		require.NoError(t, err)
		assert.Len(t, all, 3)

		got, err := q.List(ctx, "cabinet", 10)
		require.NoError(t, err)
		require.Len(t, got, 2)
		e := got[0]
		assert.Equal(t, "cabinet", e.Consumer)
		assert.Equal(t, "account", e.Topic)
		assert.Equal(t, "m-1", e.MessageUUID)
		assert.Equal(t, uint64(17), e.Position)
		assert.Equal(t, `{"n":1}`, string(e.Payload))
		assert.Equal(t, "boom: bad data", e.Reason)
		assert.Equal(t, "c-m-1", e.Metadata["correlation_id"])
		assert.True(t, t0.Equal(e.FailedAt), "failed at %s", e.FailedAt)
		assert.Nil(t, e.ReplayedAt)
		assert.Equal(t, "m-3", got[1].MessageUUID)

		limited, err := q.List(ctx, "cabinet", 1)
		require.NoError(t, err)
		assert.Len(t, limited, 1)

		msg := e.Message()
		assert.Equal(t, "m-1", msg.UUID)
		assert.Equal(t, "c-m-1", msg.Metadata.Get("correlation_id"))
		assert.Empty(t, msg.Metadata.Get(middleware.ReasonForPoisonedKey), "the handler sees the original message")
	})
}

func TestReplay_MarksTheEntryReplayedOnlyWhenTheHandlerSucceeds(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := t0
		q := newQueue(t, db, &now)
		require.NoError(t, q.Publish(esbus.PoisonTopic, poisoned("m-1", "cabinet", "boom", "5")))
		entries, err := q.List(ctx, "cabinet", 0)
		require.NoError(t, err)
		id := entries[0].ID

		err = q.Replay(ctx, id, func(*message.Message) error { return errors.New("still broken") })
		require.ErrorContains(t, err, "still broken")
		e, err := q.Get(ctx, id)
		require.NoError(t, err)
		assert.Nil(t, e.ReplayedAt, "a failed replay leaves it pending")

		now = t0.Add(time.Hour)
		var seen *message.Message
		require.NoError(t, q.Replay(ctx, id, func(m *message.Message) error { seen = m; return nil }))
		require.NotNil(t, seen)
		assert.Equal(t, "m-1", seen.UUID)
		assert.Equal(t, "5", seen.Metadata.Get(esbus.MetadataPosition))
		e, err = q.Get(ctx, id)
		require.NoError(t, err)
		require.NotNil(t, e.ReplayedAt)
		assert.True(t, now.Equal(*e.ReplayedAt))

		err = q.Replay(ctx, id, func(*message.Message) error { t.Fatal("ran twice"); return nil })
		assert.ErrorIs(t, err, poison.ErrAlreadyReplayed)
		_, err = q.Get(ctx, id+100)
		assert.ErrorIs(t, err, poison.ErrNotFound)
		assert.ErrorIs(t, q.Replay(ctx, id+100, nil), poison.ErrNotFound)
	})
}

func TestPublish_PoisonedAgainMakesTheEntryPendingAgain(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := t0
		q := newQueue(t, db, &now)
		require.NoError(t, q.Publish(esbus.PoisonTopic, poisoned("m-1", "cabinet", "first", "5")))
		entries, err := q.List(ctx, "cabinet", 0)
		require.NoError(t, err)
		require.NoError(t, q.Replay(ctx, entries[0].ID, func(*message.Message) error { return nil }))

		now = t0.Add(time.Minute)
		require.NoError(t, q.Publish(esbus.PoisonTopic, poisoned("m-1", "cabinet", "second", "5")))
		entries, err = q.List(ctx, "cabinet", 0)
		require.NoError(t, err)
		require.Len(t, entries, 1, "one entry per (consumer, message)")
		assert.Equal(t, "second", entries[0].Reason)
		assert.Nil(t, entries[0].ReplayedAt)
		assert.True(t, now.Equal(entries[0].FailedAt))
	})
}

func TestForget_DeletesOnlyTheErasedAccountsMessages(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := t0
		q := newQueue(t, db, &now)
		erased, kept := poisoned("m-1", "cabinet", "boom", "5"), poisoned("m-2", "cabinet", "boom", "6")
		erased.Metadata.Set(esbus.MetadataStreamID, "account-0192a1b2-erased")
		kept.Metadata.Set(esbus.MetadataStreamID, "account-0192a1b2-kept")
		require.NoError(t, q.Publish(esbus.PoisonTopic, erased, kept))
		n, err := q.Forget(ctx, "0192a1b2-erased")
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		left, err := q.List(ctx, "", 10)
		require.NoError(t, err)
		require.Len(t, left, 1)
		assert.Equal(t, "m-2", left[0].MessageUUID)
		_, err = q.Forget(ctx, "")
		assert.Error(t, err)
	})
}
