package esbus_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/esbus"
)

// features are what the event-store bus honestly offers:
//
//   - GuaranteedOrder: one subscription delivers the global log in order and
//     holds the next message until the current one is acked.
//   - Persistent: messages are events in the store; a new Pub/Sub on the
//     same store sees them.
//   - NewSubscriberReceivesOldMessages: a subscriber without a consumer
//     group reads the log from the start, as a Kafka reader without a group.
//   - ConsumerGroups: each group has its own checkpoint, so each group gets
//     every message and a group resumes where it stopped. (Members of one
//     group are not load-balanced; the suite does not ask that, and we run
//     one member per group.)
//   - ExactlyOnceDelivery false: a crash between handling and checkpointing
//     redelivers (at-least-once; projectors are idempotent).
//   - RestartServiceCommand nil: there is no broker to restart; the store is
//     a database handle of this process.
//   - ForceShort: the full-size runs (5,000–10,000 messages per test) take
//     about 100 s on SQLite under -race on two cores (they pass);
//     KABINET_LONG_PUBSUB=1 runs them.
//
// TestReconnect is the one test skipped (no RestartServiceCommand).
func features() tests.Features {
	return tests.Features{
		ConsumerGroups:                   true,
		ExactlyOnceDelivery:              false,
		GuaranteedOrder:                  true,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: true,
		ForceShort:                       os.Getenv("KABINET_LONG_PUBSUB") != "1",
	}
}

// constructors build Pub/Subs that share one store and checkpoint table, as
// the suite's persistence tests expect.
func constructors(t *testing.T, db *sqldb.DB) (tests.PubSubConstructor, tests.ConsumerGroupPubSubConstructor) {
	store := newSQLStore(t, db)
	cps, err := esbus.NewSQLCheckpoints(context.Background(), db)
	require.NoError(t, err)
	build := func(t *testing.T, cfg esbus.SubscriberConfig) (message.Publisher, message.Subscriber) {
		pub, err := esbus.NewPublisher(store, esbus.PublisherConfig{})
		require.NoError(t, err)
		cfg.NackBackoff = 10 * time.Millisecond
		sub, err := esbus.NewSubscriber(store, cfg)
		require.NoError(t, err)
		t.Cleanup(func() { pub.Close(); sub.Close() })
		return pub, sub
	}
	plain := func(t *testing.T) (message.Publisher, message.Subscriber) {
		return build(t, esbus.SubscriberConfig{})
	}
	grouped := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		return build(t, esbus.SubscriberConfig{ConsumerGroup: group, Checkpoints: cps, SaveOnAck: true})
	}
	return plain, grouped
}

func TestPubSub_WatermillConformanceOnSQLite(t *testing.T) {
	plain, grouped := constructors(t, sqltest.SQLite(t))
	tests.TestPubSub(t, features(), plain, grouped)
}

func TestPubSub_WatermillConformanceOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("the SQLite run covers the bus in -short mode")
	}
	plain, grouped := constructors(t, sqltest.PG(t))
	tests.TestPubSub(t, features(), plain, grouped)
}

// TestPubSub_GroupedSubscribersResumeAcrossInstances runs the suite's
// persistence and redelivery tests again with every Pub/Sub of a test in
// one consumer group, so that resuming from the checkpoint (not re-reading
// from the start) is what makes them pass.
func TestPubSub_GroupedSubscribersResumeAcrossInstances(t *testing.T) {
	_, grouped := constructors(t, sqltest.SQLite(t))
	f := features()
	f.NewSubscriberReceivesOldMessages = false
	sameGroup := func(t *testing.T) (message.Publisher, message.Subscriber) {
		return grouped(t, t.Name())
	}
	for name, test := range map[string]func(*testing.T, tests.TestContext, tests.PubSubConstructor){
		"ContinueAfterSubscribeClose": tests.TestContinueAfterSubscribeClose,
		"ContinueAfterErrors":         tests.TestContinueAfterErrors,
		"ResendOnError":               tests.TestResendOnError,
		"NoAck":                       tests.TestNoAck,
		"PublishSubscribeInOrder":     tests.TestPublishSubscribeInOrder,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, tests.TestContext{TestID: tests.NewTestID(), Features: f}, sameGroup)
		})
	}
}
