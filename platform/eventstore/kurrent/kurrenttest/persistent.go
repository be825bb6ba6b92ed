package kurrenttest

import (
	"context"
	"errors"
	"io"
	"sort"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/persistent"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// persistentServer implements persistent subscriptions to $all: groups
// created with Create, consumers connected with Read, acks and nacks.
// Messages are sent to a consumer while it has fewer than its buffer size
// unacknowledged; a nack with Retry (or Unknown) redelivers up to
// MaxRetryCount times, Park and Skip drop the message, Stop ends the
// consumer; a leaving consumer's unacknowledged messages go to the others.
// Message timeouts, checkpoints and parked-message replay are not modelled.
type persistentServer struct {
	persistent.UnimplementedPersistentSubscriptionsServer
	log    *memlog
	mu     sync.Mutex
	groups map[string]*group
}

func newPersistentServer(l *memlog) *persistentServer {
	return &persistentServer{log: l, groups: make(map[string]*group)}
}

// Create makes a group on $all; streams are not implemented.
func (p *persistentServer) Create(_ context.Context, req *persistent.CreateReq) (*persistent.CreateResp, error) {
	o := req.GetOptions()
	all := o.GetAll()
	if all == nil {
		return nil, status.Error(codes.Unimplemented, "kurrenttest: only persistent subscriptions to $all are implemented")
	}
	f, err := persistentFilterOf(all.GetFilter())
	if err != nil {
		return nil, err
	}
	set := o.GetSettings()
	strategy := set.GetConsumerStrategy()
	if strategy == "" {
		// Older clients name the strategy in this deprecated enum field.
		//lint:ignore SA1019 the double accepts what older clients send
		strategy = set.GetNamedConsumerStrategy().String()
	}
	g := &group{
		log: p.log, filter: f, pinned: strategy == "Pinned", maxRetry: int(set.GetMaxRetryCount()),
		pins: make(map[string]*consumer), kick: make(chan struct{}, 1), done: make(chan struct{}),
	}
	switch {
	case all.GetPosition() != nil:
		// A persistent subscription starts at its position (inclusive).
		g.cursor, g.has = all.GetPosition().GetCommitPosition(), false
	case all.GetEnd() != nil:
		g.cursor, g.has = p.log.last()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.groups[o.GetGroupName()]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "subscription group %s on stream $all exists", o.GetGroupName())
	}
	p.groups[o.GetGroupName()] = g
	go g.run()
	return &persistent.CreateResp{}, nil
}

// Delete removes a group; its consumers are dropped.
func (p *persistentServer) Delete(_ context.Context, req *persistent.DeleteReq) (*persistent.DeleteResp, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := req.GetOptions().GetGroupName()
	g, ok := p.groups[name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "subscription group %s on stream $all does not exist", name)
	}
	delete(p.groups, name)
	close(g.done)
	return &persistent.DeleteResp{}, nil
}

func (p *persistentServer) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, g := range p.groups {
		delete(p.groups, name)
		close(g.done)
	}
}

// Read connects one consumer: options, confirmation, then events out and
// acks/nacks in until either side leaves.
func (p *persistentServer) Read(srv persistent.PersistentSubscriptions_ReadServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	o := first.GetOptions()
	if o == nil || o.GetAll() == nil {
		return status.Error(codes.Unimplemented, "kurrenttest: only persistent subscriptions to $all are implemented")
	}
	p.mu.Lock()
	g := p.groups[o.GetGroupName()]
	p.mu.Unlock()
	if g == nil {
		return status.Errorf(codes.NotFound, "subscription group %s on stream $all does not exist", o.GetGroupName())
	}
	size := int(max(o.GetBufferSize(), 1))
	c := &consumer{out: make(chan *persistent.ReadResp, size), inflight: make(map[uuid.UUID]*message), size: size,
		stringIDs: o.GetUuidOption().GetString_() != nil}
	if err := srv.Send(&persistent.ReadResp{Content: &persistent.ReadResp_SubscriptionConfirmation_{
		SubscriptionConfirmation: &persistent.ReadResp_SubscriptionConfirmation{SubscriptionId: "$all::" + o.GetGroupName()},
	}}); err != nil {
		return err
	}
	g.join(c)
	defer g.leave(c)
	in := make(chan error, 1)
	go func() { in <- g.receive(c, srv) }()
	for {
		select {
		case m := <-c.out:
			if err := srv.Send(m); err != nil {
				return err
			}
		case err := <-in:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-srv.Context().Done():
			return nil
		case <-g.done:
			return status.Error(codes.Unavailable, "kurrenttest: persistent subscription group deleted")
		}
	}
}

// group is one persistent subscription group.
type group struct {
	log      *memlog
	filter   filter
	pinned   bool
	maxRetry int
	kick     chan struct{}
	done     chan struct{}

	mu        sync.Mutex
	cursor    uint64 // the last record considered; with has false, the inclusive start
	has       bool
	retry     []*message
	consumers []*consumer
	pins      map[string]*consumer
	next      int
}

type consumer struct {
	out       chan *persistent.ReadResp
	inflight  map[uuid.UUID]*message
	size      int
	stringIDs bool
}

type message struct {
	rec     *record
	retries int
}

// run dispatches whenever the log grows or a consumer changes.
func (g *group) run() {
	for {
		wake := g.log.wait()
		g.pump()
		select {
		case <-wake:
		case <-g.kick:
		case <-g.done:
			return
		}
	}
}

func (g *group) wakeUp() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// pump sends redeliveries, then new records, while consumers have room.
// It stops at the first message nobody can take, so a pinned stream's
// events never overtake each other.
func (g *group) pump() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.retry) > 0 {
		c := g.pick(g.retry[0].rec.stream)
		if c == nil {
			return
		}
		g.send(c, g.retry[0])
		g.retry = g.retry[1:]
	}
	for {
		recs := g.log.forward(g.cursor, g.has, 64)
		if len(recs) == 0 {
			return
		}
		for _, r := range recs {
			if g.filter.match(r) {
				c := g.pick(r.stream)
				if c == nil {
					return
				}
				g.send(c, &message{rec: r})
			}
			g.cursor, g.has = r.pos, true
		}
	}
}

// pick chooses a consumer with room for an event of stream, or nil.
func (g *group) pick(stream string) *consumer {
	if g.pinned {
		if c, ok := g.pins[stream]; ok {
			if len(c.inflight) >= c.size {
				return nil
			}
			return c
		}
	}
	for i := range g.consumers {
		c := g.consumers[(g.next+i)%len(g.consumers)]
		if len(c.inflight) < c.size {
			g.next = (g.next + i + 1) % len(g.consumers)
			if g.pinned {
				g.pins[stream] = c
			}
			return c
		}
	}
	return nil
}

func (g *group) send(c *consumer, m *message) {
	c.inflight[m.rec.id] = m
	ev := &persistent.ReadResp_ReadEvent{
		Event:    persistentEvent(m.rec, c.stringIDs),
		Position: &persistent.ReadResp_ReadEvent_CommitPosition{CommitPosition: m.rec.pos},
		Count:    &persistent.ReadResp_ReadEvent_RetryCount{RetryCount: int32(m.retries)},
	}
	c.out <- &persistent.ReadResp{Content: &persistent.ReadResp_Event{Event: ev}}
}

func (g *group) join(c *consumer) {
	g.mu.Lock()
	g.consumers = append(g.consumers, c)
	g.mu.Unlock()
	g.wakeUp()
}

// leave hands the consumer's unacknowledged messages back, oldest first,
// ahead of anything not yet sent.
func (g *group) leave(c *consumer) {
	g.mu.Lock()
	for i, x := range g.consumers {
		if x == c {
			g.consumers = append(g.consumers[:i], g.consumers[i+1:]...)
			break
		}
	}
	for s, x := range g.pins {
		if x == c {
			delete(g.pins, s)
		}
	}
	for _, m := range c.inflight {
		g.retry = append(g.retry, m)
	}
	sort.SliceStable(g.retry, func(i, j int) bool { return g.retry[i].rec.pos < g.retry[j].rec.pos })
	g.mu.Unlock()
	g.wakeUp()
}

// receive applies the consumer's acks and nacks until its stream ends.
func (g *group) receive(c *consumer, srv persistent.PersistentSubscriptions_ReadServer) error {
	for {
		req, err := srv.Recv()
		if err != nil {
			return err
		}
		if ack := req.GetAck(); ack != nil {
			g.settle(c, ack.GetIds(), persistent.ReadReq_Nack_Skip)
		} else if nack := req.GetNack(); nack != nil {
			if nack.GetAction() == persistent.ReadReq_Nack_Stop {
				return io.EOF
			}
			g.settle(c, nack.GetIds(), nack.GetAction())
		}
	}
}

// settle takes messages out of flight: acked and skipped ones are done,
// parked ones too (the double keeps no parked stream), retried ones go
// back in the queue until MaxRetryCount.
func (g *group) settle(c *consumer, ids []*shared.UUID, action persistent.ReadReq_Nack_Action) {
	g.mu.Lock()
	for _, pid := range ids {
		id, err := uuidOf(pid)
		if err != nil {
			continue
		}
		m, ok := c.inflight[id]
		if !ok {
			continue
		}
		delete(c.inflight, id)
		if action == persistent.ReadReq_Nack_Retry || action == persistent.ReadReq_Nack_Unknown {
			if m.retries < g.maxRetry {
				m.retries++
				g.retry = append(g.retry, m)
			}
		}
	}
	g.mu.Unlock()
	g.wakeUp()
}

func persistentEvent(r *record, stringIDs bool) *persistent.ReadResp_ReadEvent_RecordedEvent {
	return &persistent.ReadResp_ReadEvent_RecordedEvent{
		Id:               protoUUID(r.id, stringIDs),
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
		StreamRevision:   r.rev,
		PreparePosition:  r.pos,
		CommitPosition:   r.pos,
		Metadata:         systemMetadata(r),
		CustomMetadata:   r.meta,
		Data:             r.data,
	}
}
