package esbus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// ErrClosed is returned by a Subscriber or Publisher after Close.
var ErrClosed = errors.New("esbus: closed")

// Defaults of SubscriberConfig.
const (
	DefaultNackBackoff        = 100 * time.Millisecond
	DefaultResubscribeBackoff = time.Second
	checkpointSaveTimeout     = 10 * time.Second
)

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// ConsumerGroup names the consumer: its checkpoint (in Checkpoints, under
	// this very name) is where every subscription starts, and with SaveOnAck
	// each Ack advances it. A group follows one topic: its checkpoint is a
	// global position, so one group on two topics would skip events; use a
	// group per (handler, topic), as watermill's router does with handler
	// names. Several live subscriptions of one group are not load-balanced:
	// each delivers every event after the checkpoint (run one per group, e.g.
	// under a lease).
	//
	// Empty: no checkpoint; every subscription starts at the beginning of the
	// log.
	ConsumerGroup string
	// Checkpoints holds the groups' checkpoints; required with a
	// ConsumerGroup.
	Checkpoints CheckpointStore
	// SaveOnAck saves the message's position as the group's checkpoint when
	// it is acked. Leave it off when the handler saves the checkpoint itself
	// in its own transaction (SQLCheckpoints.SaveTx with Position(msg)), so
	// that the read model and the checkpoint move together.
	SaveOnAck bool
	// NackBackoff is the pause before a nacked message is delivered again
	// (DefaultNackBackoff when zero).
	NackBackoff time.Duration
	// ResubscribeBackoff is the pause before following the log again after
	// the store's subscription failed (DefaultResubscribeBackoff when zero).
	ResubscribeBackoff time.Duration
	// Logger receives delivery problems that cannot be returned (a failed
	// checkpoint save, a broken store subscription); NopLogger when nil.
	Logger watermill.LoggerAdapter
	// Handled, when set, tells that the consumer already has the event at a
	// position (its handler took it along with an earlier message, as a
	// projector's live batch does): such an event is passed over without a
	// message, as one of another topic is, where the handler would only ack it.
	Handled func(position uint64) bool
}

// Subscriber is a watermill message.Subscriber over the event store's global
// log; see the package documentation for topics and delivery.
type Subscriber struct {
	store eventstore.Store
	cfg   SubscriberConfig

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
}

var _ message.Subscriber = (*Subscriber)(nil)

// NewSubscriber returns a Subscriber reading store.
func NewSubscriber(store eventstore.Store, cfg SubscriberConfig) (*Subscriber, error) {
	if store == nil {
		return nil, errors.New("esbus: new subscriber: nil event store")
	}
	if cfg.ConsumerGroup != "" && cfg.Checkpoints == nil {
		return nil, fmt.Errorf("esbus: new subscriber: consumer group %q needs a checkpoint store", cfg.ConsumerGroup)
	}
	if cfg.SaveOnAck && cfg.ConsumerGroup == "" {
		return nil, errors.New("esbus: new subscriber: SaveOnAck needs a consumer group")
	}
	if cfg.NackBackoff <= 0 {
		cfg.NackBackoff = DefaultNackBackoff
	}
	if cfg.ResubscribeBackoff <= 0 {
		cfg.ResubscribeBackoff = DefaultResubscribeBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = watermill.NopLogger{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Subscriber{store: store, cfg: cfg, ctx: ctx, cancel: cancel}, nil
}

// Subscribe starts delivering the events of topic after the consumer group's
// checkpoint (from the beginning without a group), then follows the live
// tail. The channel closes when ctx ends or the Subscriber is closed. Each
// message's context ends when it is acked or nacked, or with the
// subscription.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if topic == "" {
		return nil, errors.New("esbus: subscribe: empty topic")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.wg.Add(1) // under mu, so Close never waits before an Add
	s.mu.Unlock()

	subCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	feed, after, err := s.open(subCtx, topic)
	if err != nil {
		stop()
		cancel()
		s.wg.Done()
		return nil, err
	}
	out := make(chan *message.Message)
	go func() {
		defer s.wg.Done()
		defer stop()
		defer cancel()
		defer close(out)
		s.run(subCtx, topic, after, feed, out)
	}()
	return out, nil
}

// open loads the group's checkpoint and subscribes to the log after it.
func (s *Subscriber) open(ctx context.Context, topic string) (eventstore.Subscription, uint64, error) {
	var after uint64
	if s.cfg.ConsumerGroup != "" {
		var err error
		if after, err = s.cfg.Checkpoints.Load(ctx, s.cfg.ConsumerGroup); err != nil {
			return nil, 0, fmt.Errorf("esbus: subscribe %s: %w", topic, err)
		}
	}
	feed, err := s.store.Subscribe(ctx, after)
	if err != nil {
		return nil, 0, fmt.Errorf("esbus: subscribe %s after %d: %w", topic, after, err)
	}
	return feed, after, nil
}

// run delivers from feed until ctx ends, subscribing again (after the last
// event handled) whenever the store's subscription breaks.
func (s *Subscriber) run(ctx context.Context, topic string, after uint64, feed eventstore.Subscription, out chan<- *message.Message) {
	fields := watermill.LogFields{"topic": topic, "consumer_group": s.cfg.ConsumerGroup}
	for {
		err := s.follow(ctx, topic, feed, &after, out)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, eventstore.ErrClosed) {
			s.cfg.Logger.Error("Event store closed, ending subscription", err, fields)
			return
		}
		s.cfg.Logger.Error("Event store subscription broke, following again", err, fields.Add(watermill.LogFields{"after": after}))
		for {
			if !sleep(ctx, s.cfg.ResubscribeBackoff) {
				return
			}
			if feed, err = s.store.Subscribe(ctx, after); err == nil {
				break
			}
			if errors.Is(err, eventstore.ErrClosed) {
				s.cfg.Logger.Error("Event store closed, ending subscription", err, fields)
				return
			}
			s.cfg.Logger.Error("Cannot follow the event store again", err, fields)
		}
	}
}

// follow delivers the topic's events from feed, advancing *after past every
// event handled or skipped. It returns why the feed ended.
func (s *Subscriber) follow(ctx context.Context, topic string, feed eventstore.Subscription, after *uint64, out chan<- *message.Message) error {
	for {
		select {
		case ev, ok := <-feed.Events():
			if !ok {
				if err := feed.Err(); err != nil {
					return err
				}
				return errors.New("event store subscription ended")
			}
			if InTopic(topic, ev.StreamID) && !s.handled(ev.Position) && !s.deliver(ctx, ev, out) {
				return ctx.Err()
			}
			*after = ev.Position
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Subscriber) handled(position uint64) bool {
	return s.cfg.Handled != nil && s.cfg.Handled(position)
}

// deliver hands ev out until it is acked, redelivering it after each Nack.
// It returns false when ctx ended first.
func (s *Subscriber) deliver(ctx context.Context, ev eventstore.RecordedEvent, out chan<- *message.Message) bool {
	for {
		msg := toMessage(ev)
		msgCtx, cancel := context.WithCancel(ctx)
		msg.SetContext(withRecorded(msgCtx, ev)) // Event then needs no decoding
		select {
		case out <- msg:
		case <-ctx.Done():
			cancel()
			return false
		}
		select {
		case <-msg.Acked():
			cancel()
			s.acked(ctx, ev)
			return true
		case <-msg.Nacked():
			cancel()
			if !sleep(ctx, s.cfg.NackBackoff) {
				return false
			}
		case <-ctx.Done():
			cancel()
			return false
		}
	}
}

// acked saves ev's position as the group's checkpoint (with SaveOnAck). A
// failure is logged, not fatal: the event is handled, and at worst it is
// delivered again after a restart.
func (s *Subscriber) acked(ctx context.Context, ev eventstore.RecordedEvent) {
	if !s.cfg.SaveOnAck {
		return
	}
	// The ack happened: record it even if the subscription is ending now.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkpointSaveTimeout)
	defer cancel()
	if err := s.cfg.Checkpoints.Save(saveCtx, s.cfg.ConsumerGroup, ev.Position); err != nil {
		s.cfg.Logger.Error("Cannot save checkpoint", err, watermill.LogFields{
			"consumer_group": s.cfg.ConsumerGroup, "position": ev.Position,
		})
	}
}

// Close ends every subscription and waits until their goroutines are done.
// It is safe to call more than once.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// sleep waits d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
