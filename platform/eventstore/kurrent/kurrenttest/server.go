// Package kurrenttest is a test double for KurrentDB: an in-process gRPC
// server that speaks the parts of KurrentDB's client protocol that the
// EventStore-Client-Go/v4 client uses, built from that client's own
// generated protos (protos/streams, protos/persistent, protos/gossip,
// protos/serverfeatures) and backed by an in-memory log.
//
// It is a test double, not a database: nothing is persisted, there is no
// authentication, no TLS, no cluster beyond a leader and its followers, and no projections. What it does
// implement it implements the way the real server does, so that the
// adapter in package kurrent meets the same shapes it meets in production:
//
//   - appends with KurrentDB's expected-revision checks and idempotent
//     retries by event id, answering Success or WrongExpectedVersion;
//   - positions that are byte offsets (increasing, with gaps), with system
//     events ($settings, $statsCollected) interleaved in $all;
//   - reads of a stream and of $all, forwards and backwards, with
//     StreamNotFound for a missing stream;
//   - catch-up subscriptions to $all from Start, End or a position
//     (exclusive), with server-side stream-name and event-type filters
//     (prefixes or regex) that really filter, checkpoints every
//     multiplier × window considered events, CaughtUp at the tail, and
//     subscriptions that can be dropped on demand (DropSubscriptions) or
//     every N events (Options.DropEvery);
//   - persistent subscriptions to $all (create, delete, connect, ack,
//     nack) with the round-robin and pinned consumer strategies;
//   - server features (so the client enables persistent subscriptions to
//     $all) and gossip (so esdb+discover:// works against it);
//   - a restart on the same address with the same log (Restart), and a
//     follower (NewFollower) that answers appends with NotLeader naming
//     the leader, as a cluster whose leader moved does.
//
// Start one per test with Start, then connect with ConnString.
package kurrenttest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/persistent"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// Options tune the double. The zero value is a good default.
type Options struct {
	// SystemEvery writes a system event to $all after every SystemEvery
	// user appends (default 3; negative: never), as a real server's
	// statistics and metadata writes do.
	SystemEvery int
	// DropEvery drops each catch-up subscription after it has sent that
	// many events (0: never), to exercise resubscription.
	DropEvery int
	// Now gives the "created" time of records (default time.Now).
	Now func() time.Time
}

// Server is the running test double.
type Server struct {
	log    *memlog
	opts   Options
	drops  *dropper
	subs   atomic.Int64
	leader *Server // nil: this double is the leader
	addr   string

	mu   sync.Mutex // guards grpc, lis and pers across restarts
	grpc *grpc.Server
	lis  net.Listener
	pers *persistentServer
	once sync.Once
}

// New starts a double on 127.0.0.1 with a free port, without TLS.
func New(opts Options) (*Server, error) {
	if opts.SystemEvery == 0 {
		opts.SystemEvery = 3
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{log: newMemlog(opts.SystemEvery, opts.Now), opts: opts, drops: newDropper(), addr: "127.0.0.1:0"}
	if err := s.serve(); err != nil {
		return nil, err
	}
	return s, nil
}

// NewFollower starts a double that shares leader's log but is a follower:
// appends answer NotLeader with the leader's address in the trailers, as a
// KurrentDB follower does (the client then reconnects to the leader);
// reads are served from the shared log.
func NewFollower(leader *Server) (*Server, error) {
	s := &Server{log: leader.log, opts: leader.opts, drops: newDropper(), leader: leader, addr: "127.0.0.1:0"}
	if err := s.serve(); err != nil {
		return nil, err
	}
	return s, nil
}

// firstPort and lastPort bound the ports a double first listens on: below
// Linux's ephemeral range (32768–60999), from which the kernel picks the
// local port of outgoing connections. A double on an ephemeral port could
// find it taken, after a restart, by another test's connection that the
// kernel gave that port while it was free ("address already in use").
const firstPort, lastPort = 20000, 32000

// listen listens on s.addr; on a first start (port 0), on a free port
// between firstPort and lastPort, or any free port if none is.
func (s *Server) listen() (net.Listener, error) {
	if s.addr != "127.0.0.1:0" {
		return net.Listen("tcp", s.addr)
	}
	for range 64 {
		port := firstPort + rand.IntN(lastPort-firstPort)
		if lis, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			return lis, nil
		}
	}
	return net.Listen("tcp", s.addr)
}

// serve listens on s.addr (the same port again after a restart) and serves.
func (s *Server) serve() error {
	lis, err := s.listen()
	if err != nil {
		return fmt.Errorf("kurrenttest: listen: %w", err)
	}
	s.addr = lis.Addr().String()
	// The client pings every 10 s even without calls in flight; the
	// default server policy would answer with GOAWAY "too many pings".
	srv := grpc.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
		MinTime:             time.Second,
		PermitWithoutStream: true,
	}))
	pers := newPersistentServer(s.log)
	streams.RegisterStreamsServer(srv, &streamsServer{log: s.log, opts: &s.opts, drops: s.drops, subs: &s.subs, leader: s.leader})
	persistent.RegisterPersistentSubscriptionsServer(srv, pers)
	serverfeatures.RegisterServerFeaturesServer(srv, featuresServer{})
	gossip.RegisterGossipServer(srv, &gossipServer{addr: lis.Addr().(*net.TCPAddr), follower: s.leader != nil})
	s.mu.Lock()
	s.grpc, s.lis, s.pers = srv, lis, pers
	s.mu.Unlock()
	go func() { _ = srv.Serve(lis) }()
	return nil
}

// Restart stops the double at once and starts it again on the same
// address with the same log, as a server restart would: open calls and
// subscriptions end with errors, persistent subscription groups are lost
// (they are in memory), the events stay.
func (s *Server) Restart() error {
	s.mu.Lock()
	srv, pers, lis := s.grpc, s.pers, s.lis
	s.mu.Unlock()
	pers.close()
	srv.Stop()
	// Stop closes only the listeners Serve has taken: one whose Serve
	// goroutine has not started yet stays bound until it does, and the
	// port would not be free to listen on again.
	_ = lis.Close()
	return s.serve()
}

// Start starts a double for the test and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr is the host:port the double listens on.
func (s *Server) Addr() string { return s.addr }

// ConnString is a connection string for the client: a single node, no TLS.
func (s *Server) ConnString() string {
	return "esdb://" + s.Addr() + "?tls=false"
}

// DropSubscriptions ends every catch-up subscription that is open now with
// an Unavailable error, as a server restart or a network cut would. Events
// already sent stay sent.
func (s *Server) DropSubscriptions() { s.drops.drop() }

// Fill writes n user events (one per stream, streams prefix-0 …) straight
// into the log, as n appends would, for measurements on a large log.
func (s *Server) Fill(prefix string, n int) { s.log.fill(prefix, n) }

// Subscriptions is how many catch-up subscriptions to $all were opened.
func (s *Server) Subscriptions() int { return int(s.subs.Load()) }

// AppendSystemEvent writes one system event ($statsCollected) to the log.
func (s *Server) AppendSystemEvent() {
	s.log.addSystem("$stats-127.0.0.1:2113", "$statsCollected")
}

// Close stops the double at once; open calls end with errors.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.pers.close()
		s.grpc.Stop()
	})
}

// dropper broadcasts "drop now" to the subscriptions open at that moment.
type dropper struct {
	mu sync.Mutex
	ch chan struct{}
}

func newDropper() *dropper { return &dropper{ch: make(chan struct{})} }

// signal returns the channel the next drop closes.
func (d *dropper) signal() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

func (d *dropper) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	close(d.ch)
	d.ch = make(chan struct{})
}
