package esbus

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// DefaultStreamSuffix names the stream of a published message without
// MetadataStreamSuffix: "<topic>-messages".
const DefaultStreamSuffix = "messages"

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Now stamps OccurredAt on published events (time.Now when nil).
	Now func() time.Time
}

// Publisher is a watermill message.Publisher that appends each message as an
// event (eventstore.Any) to the stream "<topic>-<suffix>", where the suffix is
// the message's MetadataStreamSuffix or DefaultStreamSuffix, so the
// Subscriber delivers it on topic. The event type is the message's
// MetadataEventType (DefaultEventType when absent), the data its payload and
// the metadata its metadata as a JSON object (see toEvent for the event id).
type Publisher struct {
	store eventstore.Store
	cfg   PublisherConfig

	mu     sync.RWMutex // held for reading by each Publish, so Close waits for them
	closed bool
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher appending to store.
func NewPublisher(store eventstore.Store, cfg PublisherConfig) (*Publisher, error) {
	if store == nil {
		return nil, errors.New("esbus: new publisher: nil event store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Publisher{store: store, cfg: cfg}, nil
}

// StreamFor returns the stream Publish appends msg to on topic.
func StreamFor(topic string, msg *message.Message) string {
	suffix := msg.Metadata.Get(MetadataStreamSuffix)
	if suffix == "" {
		suffix = DefaultStreamSuffix
	}
	return topic + "-" + suffix
}

// Publish appends msgs in order; consecutive messages bound for the same
// stream are appended atomically together. It returns when they are
// durably stored. The append runs under the context of the first message of
// each batch.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	if topic == "" || topic == AllTopic {
		return fmt.Errorf("esbus: publish: invalid topic %q", topic)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	for start := 0; start < len(msgs); {
		stream := StreamFor(topic, msgs[start])
		end := start + 1
		for end < len(msgs) && StreamFor(topic, msgs[end]) == stream {
			end++
		}
		if err := p.append(stream, msgs[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (p *Publisher) append(stream string, msgs []*message.Message) error {
	now := p.cfg.Now().UTC()
	events := make([]eventstore.EventData, 0, len(msgs))
	for _, msg := range msgs {
		ev, err := toEvent(stream, msg, now)
		if err != nil {
			return fmt.Errorf("esbus: publish to %s: %w", stream, err)
		}
		events = append(events, ev)
	}
	if _, err := p.store.Append(msgs[0].Context(), stream, eventstore.Any, events); err != nil {
		return fmt.Errorf("esbus: publish %d messages to %s: %w", len(msgs), stream, err)
	}
	return nil
}

// Close makes further Publish calls fail with ErrClosed, after waiting for
// those under way. It does not close the event store.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}
