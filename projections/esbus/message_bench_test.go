package esbus

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// BenchmarkDeliveredEvent turns a recorded event into the message a
// subscription delivers and back into the event a projector works on, as
// each of the projectors does for every event of the log: "delivered" as
// a Subscriber's message carries it, "rebuilt" from the message's metadata.
func BenchmarkDeliveredEvent(b *testing.B) {
	ev := eventstore.RecordedEvent{
		ID: uuid.New(), StreamID: "account-" + uuid.NewString(), Version: 3, Position: 1234,
		Type: "ContactConfirmed", SchemaVersion: 1, OccurredAt: time.Now(), RecordedAt: time.Now(),
		Data: []byte(`{"channel":"email","value":"sealed:v1:abcdefghijklmnopqrstuvwxyz0123456789"}`),
		Metadata: []byte(`{"actor_id":"0190f0c2-5a4e-7c3b-9d2a-6b1f3e8c4d21","actor_role":"citizen",` +
			`"correlation_id":"0190f0c2-5a4e-7c3b-9d2a-6b1f3e8c4d22","causation_id":"0190f0c2-5a4e-7c3b-9d2a-6b1f3e8c4d23",` +
			`"source_ip":"10.1.2.3","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}`),
	}
	ctx := context.Background()
	b.Run("delivered", func(b *testing.B) {
		for b.Loop() {
			msg := toMessage(ev)
			msg.SetContext(withRecorded(ctx, ev))
			if _, err := Event(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rebuilt", func(b *testing.B) {
		for b.Loop() {
			if _, err := Event(toMessage(ev)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
