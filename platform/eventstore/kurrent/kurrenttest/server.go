// Package kurrenttest is a test double for KurrentDB: an in-process gRPC
// server that speaks the parts of KurrentDB's client protocol that the
// EventStore-Client-Go/v4 client uses, built from that client's own
// generated protos (protos/streams, protos/persistent, protos/gossip,
// protos/serverfeatures) and backed by an in-memory log.
//
// It is a test double, not a database: nothing is persisted, there is no
// authentication, no TLS, no cluster and no projections. What it does
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
//     $all) and gossip (so esdb+discover:// works against it).
//
// Start one per test with Start, then connect with ConnString.
package kurrenttest

import (
	"fmt"
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
	log   *memlog
	grpc  *grpc.Server
	lis   net.Listener
	opts  Options
	pers  *persistentServer
	drops *dropper
	subs  atomic.Int64
	once  sync.Once
}

// New starts a double on 127.0.0.1 with a free port, without TLS.
func New(opts Options) (*Server, error) {
	if opts.SystemEvery == 0 {
		opts.SystemEvery = 3
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kurrenttest: listen: %w", err)
	}
	s := &Server{
		log:   newMemlog(opts.SystemEvery, opts.Now),
		lis:   lis,
		opts:  opts,
		drops: newDropper(),
		// The client pings every 10 s even without calls in flight; the
		// default server policy would answer with GOAWAY "too many pings".
		grpc: grpc.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             time.Second,
			PermitWithoutStream: true,
		})),
	}
	s.pers = newPersistentServer(s.log)
	streams.RegisterStreamsServer(s.grpc, &streamsServer{log: s.log, opts: &s.opts, drops: s.drops, subs: &s.subs})
	persistent.RegisterPersistentSubscriptionsServer(s.grpc, s.pers)
	serverfeatures.RegisterServerFeaturesServer(s.grpc, featuresServer{})
	gossip.RegisterGossipServer(s.grpc, &gossipServer{addr: lis.Addr().(*net.TCPAddr)})
	go func() { _ = s.grpc.Serve(lis) }()
	return s, nil
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
func (s *Server) Addr() string { return s.lis.Addr().String() }

// ConnString is a connection string for the client: a single node, no TLS.
func (s *Server) ConnString() string {
	return "esdb://" + s.Addr() + "?tls=false"
}

// DropSubscriptions ends every catch-up subscription that is open now with
// an Unavailable error, as a server restart or a network cut would. Events
// already sent stay sent.
func (s *Server) DropSubscriptions() { s.drops.drop() }

// Subscriptions is how many catch-up subscriptions to $all were opened.
func (s *Server) Subscriptions() int { return int(s.subs.Load()) }

// AppendSystemEvent writes one system event ($statsCollected) to the log.
func (s *Server) AppendSystemEvent() {
	s.log.addSystem("$stats-127.0.0.1:2113", "$statsCollected")
}

// Close stops the double at once; open calls end with errors.
func (s *Server) Close() {
	s.once.Do(func() {
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
