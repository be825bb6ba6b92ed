package esbus_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/poison"
)

func newSQLStore(t *testing.T, db *sqldb.DB) *sqlstore.Store {
	t.Helper()
	store, err := sqlstore.New(context.Background(), db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	return store
}

func quietLogger() watermill.LoggerAdapter {
	return watermill.NewSlogLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// runRouter runs router until the test ends.
func runRouter(t *testing.T, router *message.Router) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- router.Run(context.Background()) }()
	select {
	case <-router.Running():
	case <-time.After(wait):
		t.Fatal("router did not start")
	}
	t.Cleanup(func() {
		require.NoError(t, router.Close())
		require.NoError(t, <-done)
	})
}

func TestRouter_ExhaustedMessageGoesToPoisonAndTheHandlerMovesOn(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store := newSQLStore(t, db)
	cps, err := esbus.NewSQLCheckpoints(ctx, db)
	require.NoError(t, err)
	queue, err := poison.New(ctx, db, poison.Options{})
	require.NoError(t, err)

	good1 := appendEvent(t, store, "account-1", "AccountRegistered", `{"correlation_id":"c-1"}`)
	bad := appendEvent(t, store, "account-1", "ContactConfirmed", `{"correlation_id":"c-2"}`)
	good2 := appendEvent(t, store, "account-2", "AccountRegistered", `{}`)

	router, err := esbus.NewRouter(quietLogger(), queue, esbus.RetryConfig{MaxRetries: 2, InitialInterval: time.Millisecond, Multiplier: 2})
	require.NoError(t, err)
	sub := newSubscriber(t, store, esbus.SubscriberConfig{ConsumerGroup: "cabinet", Checkpoints: cps, SaveOnAck: true})
	var mu sync.Mutex
	attempts := map[string]int{}
	handled := make(chan string, 10)
	router.AddConsumerHandler("cabinet", "account", sub, func(msg *message.Message) error {
		mu.Lock()
		attempts[msg.UUID]++
		mu.Unlock()
		if msg.UUID == bad.ID.String() {
			panic("cannot project ContactConfirmed")
		}
		handled <- msg.UUID
		return nil
	})
	runRouter(t, router)

	for _, want := range []eventstore.RecordedEvent{good1, good2} {
		select {
		case got := <-handled:
			assert.Equal(t, want.ID.String(), got)
		case <-time.After(wait):
			t.Fatal("handler stuck behind the poisoned message")
		}
	}
	require.Eventually(t, func() bool {
		pos, err := cps.Load(ctx, "cabinet")
		return err == nil && pos == good2.Position
	}, wait, 10*time.Millisecond, "the checkpoint passes the poisoned message")
	mu.Lock()
	assert.Equal(t, 3, attempts[bad.ID.String()], "first attempt and two retries")
	mu.Unlock()

	entries, err := queue.List(ctx, "cabinet", 0)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, bad.ID.String(), e.MessageUUID)
	assert.Equal(t, bad.Position, e.Position)
	assert.Equal(t, "account", e.Topic)
	assert.Contains(t, e.Reason, "cannot project ContactConfirmed")
	assert.Equal(t, "c-2", e.Metadata["correlation_id"])

	var replayed eventstore.RecordedEvent
	require.NoError(t, queue.Replay(ctx, e.ID, func(msg *message.Message) error {
		replayed, err = esbus.Event(msg)
		return err
	}))
	assert.Equal(t, bad.ID, replayed.ID)
	assert.Equal(t, "ContactConfirmed", replayed.Type)
	e, err = queue.Get(ctx, e.ID)
	require.NoError(t, err)
	assert.NotNil(t, e.ReplayedAt)
}

func TestRouter_ProducedMessagesKeepTheCorrelationID(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store := newSQLStore(t, db)
	queue, err := poison.New(ctx, db, poison.Options{})
	require.NoError(t, err)
	pub, err := esbus.NewPublisher(store, esbus.PublisherConfig{})
	require.NoError(t, err)
	appendEvent(t, store, "account-1", "AccountRegistered", `{"correlation_id":"req-77"}`)

	router, err := esbus.NewRouter(quietLogger(), queue, esbus.DefaultRetry)
	require.NoError(t, err)
	sub := newSubscriber(t, store, esbus.SubscriberConfig{})
	router.AddHandler("notifier", "account", sub, "outbox", pub, func(msg *message.Message) ([]*message.Message, error) {
		out := message.NewMessage(watermill.NewUUID(), []byte(`{}`))
		out.Metadata.Set(esbus.MetadataEventType, "NotificationQueued")
		return []*message.Message{out}, nil
	})
	runRouter(t, router)

	var got eventstore.RecordedEvent
	require.Eventually(t, func() bool {
		evs, err := store.ReadAll(ctx, 1, 0)
		if err != nil || len(evs) == 0 {
			return false
		}
		got = evs[0]
		return true
	}, wait, 10*time.Millisecond)
	assert.Equal(t, "outbox-messages", got.StreamID)
	assert.Equal(t, "NotificationQueued", got.Type)
	var md map[string]string
	require.NoError(t, json.Unmarshal(got.Metadata, &md))
	assert.Equal(t, "req-77", md["correlation_id"])
}

func TestNewRouter_NeedsAPoisonQueue(t *testing.T) {
	_, err := esbus.NewRouter(nil, nil, esbus.DefaultRetry)
	assert.Error(t, err)
}

func TestRouter_HandlersGetTheEventAsStored(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store := newSQLStore(t, db)
	queue, err := poison.New(ctx, db, poison.Options{})
	require.NoError(t, err)
	stored := appendEvent(t, store, "account-1", "AccountRegistered", `{"z":"last","a":"first"}`)
	want, err := store.ReadAll(ctx, stored.Position-1, 1)
	require.NoError(t, err)
	require.Len(t, want, 1)

	router, err := esbus.NewRouter(quietLogger(), queue, esbus.DefaultRetry)
	require.NoError(t, err)
	got := make(chan eventstore.RecordedEvent, 1)
	router.AddConsumerHandler("cabinet", esbus.AllTopic, newSubscriber(t, store, esbus.SubscriberConfig{}), func(msg *message.Message) error {
		ev, err := esbus.Event(msg)
		if err == nil {
			got <- ev
		}
		return err
	})
	runRouter(t, router)
	select {
	case ev := <-got:
		assert.Equal(t, want[0], ev, "through the router's middleware, metadata byte for byte and its recording time")
	case <-time.After(wait):
		t.Fatal("no event delivered")
	}
}
