// Package sqlstore is the event store on SQL: an embedded SQLite file or a
// PostgreSQL database, both reached through bun (platform/sqldb).
//
// Writes go through one writer goroutine per Store that commits concurrent
// appends together (group commit): one transaction, one fsync, then every
// caller of the group is answered. A group is first decided on what the
// writer knows (the versions it committed itself) and the database's UNIQUE
// constraints; if that fails it is decided again on looked-up state, so the
// common append costs no lookup and no answer rests on a stale guess.
//
// Global positions are assigned inside the group's transaction from a
// one-row head table that the transaction locks, so they are gap-free and
// increase in commit order even with several processes appending to one
// PostgreSQL database. Subscriptions read the log in pages and wake on
// commits: in-process through a broadcast, across processes through
// PostgreSQL LISTEN/NOTIFY, with a slow safety poll beneath both.
//
// Tables: events (the log; position is the primary key, UNIQUE event_id and
// (stream_id, version)), event_streams (each stream's version) and
// event_head (the last position). For ReadStream and ReadAll a limit <= 0
// means no limit.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// ErrDuplicateEventID is returned when an append carries an event id that is
// already stored somewhere other than where a retry of the same append would
// have put it (another stream, another version, a partial overlap), or that
// appears twice in one append.
var ErrDuplicateEventID = errors.New("sqlstore: event id already used")

// Options tune a Store. The zero value is a good default.
type Options struct {
	// MaxBatch bounds how many append requests one group commit takes
	// (default 512).
	MaxBatch int
	// GroupWait bounds, as a share of the last group's commit time, how
	// long the writer waits after a group of several appends for as many
	// to be queued again before it cuts the next group (default 0.25;
	// negative: no wait). Without it busy writers split into two cohorts
	// whose groups alternate at two thirds of their number.
	GroupWait float64
	// QueueSize is how many append requests may wait for the writer before
	// Append blocks (default MaxBatch).
	QueueSize int
	// PageSize is how many events a subscription reads per query while
	// catching up (default 512).
	PageSize int
	// SubscriptionBuffer is the capacity of a subscription's channel
	// (default 256). A full channel blocks the subscription; nothing is
	// dropped.
	SubscriptionBuffer int
	// PollInterval is the safety poll of idle subscriptions, for commits
	// nobody told them about (another process on the same SQLite file, a
	// lost LISTEN connection). Default 3s.
	PollInterval time.Duration
	// NotifyChannel is the PostgreSQL LISTEN/NOTIFY channel. Default
	// "kabinet_events_" + the current schema, so stores on different schemas
	// of one database do not wake each other.
	NotifyChannel string
	// VersionCache bounds how many stream versions the writer remembers
	// (default 100,000; emptied when full). The cache saves a lookup per
	// append; a stale entry (another process appended) costs a retry of
	// the group, never a wrong answer.
	VersionCache int
	// Now gives recorded_at (default time.Now).
	Now func() time.Time
	// BeforeCommit, for tests only, runs in the writer after a group's rows
	// are written and before its commit, with the head row locked. An error
	// fails the whole group as a failed commit would.
	BeforeCommit func(ctx context.Context) error
}

func (o Options) withDefaults() Options {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.GroupWait == 0 {
		o.GroupWait = 0.25
	}
	if o.QueueSize <= 0 {
		o.QueueSize = o.MaxBatch
	}
	if o.PageSize <= 0 {
		o.PageSize = 512
	}
	if o.SubscriptionBuffer <= 0 {
		o.SubscriptionBuffer = 256
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 3 * time.Second
	}
	if o.VersionCache <= 0 {
		o.VersionCache = 100_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Store is the SQL event store. It implements eventstore.Store.
type Store struct {
	db      *sqldb.DB
	sql     *sql.DB
	opts    Options
	backend backend
	reads   readStmts

	reqs     chan *request
	versions map[string]int64 // stream versions as of the writer's commits; writer only
	// mu makes "closed" and the send to reqs one step, so that no request
	// slips into the queue after the writer's final drain.
	mu      sync.RWMutex
	closed  bool
	isDone  atomic.Bool
	closing chan struct{} // closed by Close: the writer drains and stops
	wrote   chan struct{} // closed when the writer has stopped

	groups   atomic.Int64 // groups committed, for benchmarks
	wake     *broadcast
	pages    eventstore.SharedReads[pageKey] // the feeds' page reads, shared
	life     context.Context                 // ends when the store closes: subscriptions, listener
	stop     context.CancelFunc
	bg       sync.WaitGroup
	listen   sync.Once
	shutdown sync.Once
}

var _ eventstore.Store = (*Store)(nil)

// New migrates db (see Migrate), prepares its statements and starts the
// writer. SQLite must be opened durable (synchronous=FULL, as sqldb.Open
// does): an append is answered only once it would survive a power loss.
func New(ctx context.Context, db *sqldb.DB, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	s := &Store{
		db:       db,
		sql:      db.DB.DB,
		opts:     opts,
		reqs:     make(chan *request, opts.QueueSize),
		versions: make(map[string]int64),
		closing:  make(chan struct{}),
		wrote:    make(chan struct{}),
		wake:     newBroadcast(),
	}
	var err error
	if db.IsPostgres() {
		s.backend, err = newPostgres(ctx, s.sql, &s.opts)
	} else {
		s.backend, err = newSQLite(ctx, s.sql)
	}
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if err := s.reads.prepare(ctx, s.sql); err != nil {
		s.backend.close()
		return nil, fmt.Errorf("open event store: %w", err)
	}
	s.life, s.stop = context.WithCancel(context.Background())
	go s.runWriter()
	return s, nil
}

// Close stops the store. Appends already queued are committed (and their
// callers answered) before Close returns; later appends fail with
// eventstore.ErrClosed. Subscriptions end with Err() == ErrClosed. Close does
// not close the database, which belongs to the caller.
func (s *Store) Close() error {
	s.shutdown.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		<-s.wrote
		s.isDone.Store(true)
		s.stop()
		s.bg.Wait()
		s.reads.close()
		s.backend.close()
	})
	return nil
}

func validate(stream string, expected eventstore.ExpectedVersion, events []eventstore.EventData) error {
	if strings.TrimSpace(stream) == "" {
		return errors.New("empty stream id")
	}
	if expected < eventstore.Any {
		return fmt.Errorf("invalid expected version %d", int64(expected))
	}
	var seen map[uuid.UUID]bool // most appends carry one event: no map for them
	if len(events) > 1 {
		seen = make(map[uuid.UUID]bool, len(events))
	}
	for i, e := range events {
		if e.ID == uuid.Nil {
			return fmt.Errorf("event %d: nil id", i)
		}
		if e.Type == "" {
			return fmt.Errorf("event %d: empty type", i)
		}
		if seen[e.ID] {
			return fmt.Errorf("event %d: id %s twice: %w", i, e.ID, ErrDuplicateEventID)
		}
		if seen != nil {
			seen[e.ID] = true
		}
	}
	return nil
}
