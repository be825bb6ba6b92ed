// Package kurrent is the event store on KurrentDB (formerly EventStoreDB),
// reached through EventStore-Client-Go/v4 over gRPC. It implements
// eventstore.Store and passes the contract suite in eventstoretest.
//
// Streams map one to one onto KurrentDB streams; SchemaVersion and
// OccurredAt travel in an envelope in each event's custom metadata (see
// encodeMetadata) so that the caller's metadata comes back byte for byte.
//
// Global positions: the port promises 1-based, gap-free positions in commit
// order, while KurrentDB's $all positions are byte offsets in its
// transaction log (increasing, with gaps, and interleaved with system
// events). The adapter's position of an event is its ordinal among the
// non-system events of $all: the nth user event in $all order has position
// n. That number is a pure function of the server's log, so every process
// computes the same one; the adapter keeps an index from ordinal to $all
// position, in memory or (Options.IndexPath) in a file that outlives the
// process, built by reading $all once (from where the file left off) at
// start and extended by reading the new tail whenever it meets a position
// it has not indexed.
// See the package README for the costs and the conditions (no stream is
// ever deleted, truncated or scavenged) under which it holds.
package kurrent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// Options tune a Store. The zero value is a good default.
type Options struct {
	// PageSize is how many $all records one read asks for while indexing,
	// paging ReadAll or probing (default 512).
	PageSize int
	// SubscriptionBuffer is the capacity of a subscription's channel
	// (default 256). A full channel makes the subscription wait; nothing
	// is dropped.
	SubscriptionBuffer int
	// ResubscribeBackoff is the first pause before resubscribing after the
	// server dropped a subscription; it doubles up to 5 s (default 100 ms).
	ResubscribeBackoff time.Duration
	// MaxResubscribes is how many resubscriptions in a row may fail, with
	// no event delivered in between, before a subscription gives up and
	// reports the error (default 10).
	MaxResubscribes int
	// Logger receives the client library's log lines (connection,
	// discovery, drops); default slog.Default().
	Logger *slog.Logger
	// IndexPath is a file (SQLite) where the position index is kept
	// between runs, so a start reads only the part of $all written since
	// the last one and memory does not grow with the log. Empty: the index
	// is kept in memory and rebuilt from all of $all at every start.
	IndexPath string
}

func (o Options) withDefaults() Options {
	if o.PageSize <= 1 {
		o.PageSize = 512
	}
	if o.SubscriptionBuffer <= 0 {
		o.SubscriptionBuffer = 256
	}
	if o.ResubscribeBackoff <= 0 {
		o.ResubscribeBackoff = 100 * time.Millisecond
	}
	if o.MaxResubscribes <= 0 {
		o.MaxResubscribes = 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Store is the KurrentDB event store. It implements eventstore.Store.
type Store struct {
	client    *esdb.Client
	opts      Options
	idx       *index
	numbering positions

	closed   atomic.Bool
	entry    sync.RWMutex    // makes "closed" and a call's start one step (see enter)
	calls    sync.WaitGroup  // Append, reads and Head under way
	life     context.Context // ends at Close: subscriptions stop
	stop     context.CancelFunc
	bg       sync.WaitGroup
	shutdown sync.Once
}

var _ eventstore.Store = (*Store)(nil)

// New connects to KurrentDB with a connection string such as
// "esdb://127.0.0.1:2113?tls=false" or "esdb+discover://cluster:2113", then
// builds the position index by reading $all (see the package comment). The
// connection's user must be allowed to read $all.
func New(ctx context.Context, connString string, opts Options) (*Store, error) {
	cfg, err := esdb.ParseConnectionString(connString)
	if err != nil {
		return nil, fmt.Errorf("kurrent: parse connection string: %w", err)
	}
	opts = opts.withDefaults()
	cfg.Logger = clientLogger(opts.Logger)
	client, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("kurrent: new client: %w", err)
	}
	life, stop := context.WithCancel(context.Background())
	s := &Store{client: client, opts: opts, life: life, stop: stop}
	var numbering positions = &memPositions{}
	if opts.IndexPath != "" {
		f, err := openFilePositions(ctx, opts.IndexPath)
		if err != nil {
			stop()
			client.Close()
			return nil, fmt.Errorf("kurrent: %w", err)
		}
		numbering = f
	}
	s.numbering = numbering
	s.idx = newIndex(func(ctx context.Context, from esdb.Position, start bool, visit func(*esdb.RecordedEvent) bool) error {
		return s.scanAll(ctx, from, start, opts.PageSize, visit)
	}, numbering)
	fail := func(err error) (*Store, error) {
		stop()
		client.Close()
		numbering.close()
		return nil, fmt.Errorf("kurrent: index $all: %w", err)
	}
	fresh, err := s.idx.open(ctx)
	if err != nil {
		return fail(err)
	}
	if fresh {
		opts.Logger.Warn("kurrent: the position index numbered another log; numbering $all again", "path", opts.IndexPath)
	}
	if _, err := s.idx.sync(ctx); err != nil {
		return fail(err)
	}
	return s, nil
}

// closeGrace bounds how long Close waits for the calls under way.
const closeGrace = 10 * time.Second

// Close refuses new calls (eventstore.ErrClosed), waits for those under
// way to finish on the open connection (at most closeGrace), ends
// subscriptions (their Err is eventstore.ErrClosed) and closes the
// connection. So an append that was sent is answered with its outcome,
// never with ErrClosed for events that were in fact written. Closing twice
// is harmless.
func (s *Store) Close() (err error) {
	s.shutdown.Do(func() {
		s.entry.Lock()
		s.closed.Store(true)
		s.entry.Unlock()
		done := make(chan struct{})
		go func() { s.calls.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(closeGrace):
			s.opts.Logger.Warn("kurrent: closing with calls still under way", "waited", closeGrace)
		}
		s.stop()
		s.bg.Wait()
		s.client.Close()
		err = s.numbering.close()
	})
	return err
}

// clientLogger routes the client library's printf-style logging to l.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		lvl := slog.LevelInfo
		switch level {
		case esdb.LogDebug:
			lvl = slog.LevelDebug
		case esdb.LogWarn:
			lvl = slog.LevelWarn
		case esdb.LogError:
			lvl = slog.LevelError
		}
		ctx := context.Background()
		if l.Enabled(ctx, lvl) {
			l.Log(ctx, lvl, "kurrentdb client: "+fmt.Sprintf(format, args...))
		}
	}
}

// checkOpen returns ErrClosed, wrapped with op, after Close.
func (s *Store) checkOpen(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", op, eventstore.ErrClosed)
	}
	return nil
}

// enter starts a call that Close waits for: it returns ErrClosed, wrapped
// with op, after Close, and else the function that ends the call.
func (s *Store) enter(op string) (func(), error) {
	s.entry.RLock()
	defer s.entry.RUnlock()
	if err := s.checkOpen(op); err != nil {
		return nil, err
	}
	s.calls.Add(1)
	return s.calls.Done, nil
}

// isUserEvent tells the events of the port from KurrentDB's own: system
// streams and system event types start with "$". Every position the
// adapter hands out counts exactly the events this predicate accepts.
func isUserEvent(stream, eventType string) bool {
	return !strings.HasPrefix(stream, "$") && !strings.HasPrefix(eventType, "$")
}

// userStreamsFilter is the server-side filter that drops system streams
// before they cross the network; isUserEvent still decides.
func userStreamsFilter() *esdb.SubscriptionFilter {
	return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Regex: `^[^$]`}
}

// esdbCode returns the client error code of err, if err is a client error.
// It uses errors.As rather than esdb.FromError: FromError reports
// ok == true only for a nil error, and it does not look through the
// fmt.Errorf wrapping the client itself adds to some errors.
func esdbCode(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// isCode reports whether err is a client error with code.
func isCode(err error, code esdb.ErrorCode) bool {
	c, ok := esdbCode(err)
	return ok && c == code
}

// after reports whether a comes after b in $all.
func after(a, b esdb.Position) bool {
	return a.Commit > b.Commit || (a.Commit == b.Commit && a.Prepare > b.Prepare)
}
