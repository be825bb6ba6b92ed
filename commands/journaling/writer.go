// Package journaling feeds the action journal (platform/journal) with every
// action Kabinet takes, as docs/DESIGN.md ("The journal") has it: no accepted
// command without its journal entry, no entry for events not written, and
// refusals, denials and staff reads journaled too.
//
// One Writer per deployment follows the event store's global log from a
// checkpointed cursor and derives an accepted command's entry from its
// events' own metadata (commands.Metadata), so it works for every store,
// including one that cannot share a transaction with the journal. It puts
// every event under the journal's proofs too: each event becomes an event
// leaf (its eventstore.Hash), appended just before its command's entry. Actions
// that write no events reach the writer through a durable inbox table:
// Record inserts a row (from any process), and the writer drains it.
//
// # The writer's transaction
//
// Each cycle the writer takes a bounded batch of complete runs of events
// after the cursor (see Config.BatchSize) and a bounded batch of inbox rows
// in id order, builds their entries, and then, in ONE transaction on the
// journal's database, appends the entries (journal.AppendTx, with any
// count-triggered checkpoint), deletes the inbox rows it took and moves the
// cursor past the events. A crash anywhere before the commit leaves all
// three as they were, so the next writer journals the same events and rows
// again; a crash after it leaves them journaled, consumed and passed. Each
// event and each inbox row therefore yields exactly one entry. A second
// writer is caught by the cursor's compare-and-set, the inbox rows' delete
// count and the journal's own state check, and its transaction rolls back.
//
// Entries are built outside the transaction and the events are read
// outside it (they never change), so on SQLite, whose write transactions
// are exclusive, the writer holds the lock only for its inserts.
//
// # Checkpoints
//
// Count-triggered checkpoints are issued inside the append. Time-triggered
// ones (journal.Options.CheckpointInterval) are issued by Run itself, after
// each commit and on its idle poll, so the caller need not run
// journal.Run beside it (doing so is harmless).
package journaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// Observer learns of every entry the writer commits (metrics).
type Observer interface {
	// JournalEntry is called once per committed entry with its outcome.
	JournalEntry(outcome string)
}

// Config assembles a Writer. Store, DB and Journal are required; zero tuning
// fields take their defaults.
type Config struct {
	// Store is the event store whose global log the writer follows.
	Store eventstore.Store
	// DB is the journal's database: the inbox and cursor live beside the
	// journal's tables so that one transaction covers all three.
	DB *sqldb.DB
	// Journal is the journal entries are appended to; it must be open on DB.
	Journal *journal.Journal
	// Logger logs retried failures (default slog.Default()).
	Logger *slog.Logger
	// Now stamps inbox entries recorded without a time (default time.Now).
	Now func() time.Time
	// Observer, optional, is told of every committed entry.
	Observer Observer
	// RevealMetadata, optional, returns an event's metadata with its
	// personal fields (IP, user agent) decrypted, for a store that keeps
	// them encrypted (pii): the writer reads and hashes the stored bytes,
	// and takes IP and user agent for the entry from what this returns.
	// Metadata it cannot decrypt (an erased account's) is returned as stored.
	RevealMetadata func(eventstore.RecordedEvent) []byte
	// Hooks inject faults between the writer's steps; tests only.
	Hooks *Hooks

	// Name names the cursor row, so that several journals could follow one
	// log (default "journal").
	Name string
	// BatchSize bounds the events one cycle journals (default 1000; a run
	// of one command longer than that is taken whole).
	BatchSize int
	// InboxBatch bounds the inbox rows one cycle takes (default 500).
	InboxBatch int
	// MinInterval is the least time between the starts of two cycles, so
	// that under load each transaction carries many entries and the writer
	// takes the database's write lock seldom (default 25ms). An idle
	// writer journals a new action at once.
	MinInterval time.Duration
	// DirectDelay is how long a writer with requests waiting for their
	// entries (see direct) lets others join them before its cycle
	// (default 1ms).
	DirectDelay time.Duration
	// PollInterval is how often an idle writer looks for inbox rows other
	// processes inserted and for a due checkpoint (default 250ms).
	PollInterval time.Duration
	// RetryDelay is the pause before the writer starts over after a failed
	// cycle (default 500ms).
	RetryDelay time.Duration
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Name == "" {
		c.Name = "journal"
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.InboxBatch <= 0 {
		c.InboxBatch = 500
	}
	if c.MinInterval <= 0 {
		c.MinInterval = 25 * time.Millisecond
	}
	if c.DirectDelay <= 0 {
		c.DirectDelay = time.Millisecond
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = 500 * time.Millisecond
	}
	return c
}

// ErrConcurrentWriter: another writer journaled the same events or inbox
// rows meanwhile; this writer's transaction was rolled back.
var ErrConcurrentWriter = errors.New("journaling: another writer advanced the journal")

// Writer journals the event log and the inbox. Record is safe for
// concurrent use; Run runs once at a time.
type Writer struct {
	cfg     Config
	wake    chan struct{}
	running atomic.Bool
	inbox   inboxCommits // concurrent Records share one commit
	direct  direct       // Records handed to the running writer
}

// New checks cfg and creates the inbox and cursor tables when missing.
func New(ctx context.Context, cfg Config) (*Writer, error) {
	if cfg.Store == nil || cfg.DB == nil || cfg.Journal == nil {
		return nil, errors.New("journaling: new: Store, DB and Journal are required")
	}
	cfg = cfg.withDefaults()
	if err := migrate(ctx, cfg.DB, cfg.Name); err != nil {
		return nil, err
	}
	return &Writer{cfg: cfg, wake: make(chan struct{}, 1), direct: newDirect()}, nil
}

// Record journals an action that wrote no events: a refused command, a
// denied request, a staff read of a person's data. The entry is committed
// to the inbox when Record returns and reaches the journal with the
// writer's next cycle. At defaults to Now. The entry must name its action
// and a valid outcome, and no event positions (the writer derives those).
func (w *Writer) Record(ctx context.Context, e journal.Entry) error {
	return w.RecordAll(ctx, []journal.Entry{e})
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Status is how far the writer has come.
type Status struct {
	Cursor uint64 // journaled up to this global position
	Head   uint64 // the log's highest position
	Inbox  int    // inbox rows waiting
}

// CaughtUp reports whether everything written so far is journaled.
func (s Status) CaughtUp() bool { return s.Cursor >= s.Head && s.Inbox == 0 }

// Status reads the cursor, the log's head and the waiting inbox rows.
func (w *Writer) Status(ctx context.Context) (Status, error) {
	var st Status
	var err error
	if st.Head, err = w.cfg.Store.Head(ctx); err != nil {
		return Status{}, fmt.Errorf("journaling: status: %w", err)
	}
	if st.Cursor, err = readCursor(ctx, w.cfg.DB, w.cfg.Name, false); err != nil {
		return Status{}, fmt.Errorf("journaling: status: %w", err)
	}
	if err := w.cfg.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM journal_inbox`).Scan(&st.Inbox); err != nil {
		return Status{}, fmt.Errorf("journaling: status: count inbox: %w", err)
	}
	return st, nil
}
