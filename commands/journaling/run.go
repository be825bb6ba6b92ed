package journaling

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/observability"
)

// Run is the single writer loop: it journals the log after the cursor and
// the inbox until ctx ends, and then returns nil, having finished the
// transaction under way. A failed cycle (a database error, a lost
// subscription, another writer) is logged and the writer starts over from
// the committed cursor after RetryDelay. A hook's error (see Hooks) and a
// closed store (eventstore.ErrClosed) end Run with that error.
//
// Only one Run of a Writer may run at a time. Run one writer per
// deployment (e.g. under a lease); a second one journals nothing twice, its
// transactions just keep rolling back, but it wastes its work.
func (w *Writer) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("journaling: run: already running")
	}
	defer w.running.Store(false)
	for {
		err := w.follow(ctx)
		if _, ok := errors.AsType[*HookError](err); ok {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, eventstore.ErrClosed) {
			return err
		}
		w.cfg.Logger.WarnContext(ctx, "journal writer failed; starting over from its cursor",
			"err", err, "retry_in", w.cfg.RetryDelay)
		if !sleep(ctx, w.cfg.RetryDelay) {
			return nil
		}
	}
}

// follow reads the log after the committed cursor and runs cycles until
// ctx ends (nil) or one fails (its error).
func (w *Writer) follow(ctx context.Context) error {
	cursor, err := readCursor(ctx, w.cfg.DB, w.cfg.Name, false)
	if err != nil {
		return fmt.Errorf("journaling: %w", err)
	}
	if err := w.catchUpEvents(ctx, cursor); err != nil {
		return fmt.Errorf("journaling: %w", err)
	}
	f := &feed{store: w.cfg.Store, cursor: cursor, last: cursor, reveal: w.cfg.RevealMetadata}
	defer f.unsubscribe()
	w.direct.setLive(true)
	defer w.direct.setLive(false)
	poll := time.NewTicker(w.cfg.PollInterval)
	defer poll.Stop()
	var last time.Time
	more := true // a first cycle at once: the log and the inbox may hold work
	for {
		if !more {
			if !w.direct.pending() {
				if ok, err := w.wait(ctx, f, poll); err != nil || !ok {
					return err
				}
				// Let more arrive, so that one transaction carries them
				// all; a request waiting for its entry ends the pause.
				if !w.direct.pending() && !pause(ctx, w.cfg.MinInterval-time.Since(last), w.direct.hurry) {
					return nil
				}
			}
			// Requests wait for their entries: a moment lets the requests
			// arriving meanwhile share the cycle's commit.
			if w.direct.pending() && !sleep(ctx, w.cfg.DirectDelay) {
				return nil
			}
		}
		last = time.Now()
		if more, err = w.cycle(ctx, f); err != nil {
			return err
		}
	}
}

// wait returns once there is work — events in the log the feed has not
// read, inbox rows (Record's wake-up, or the poll finding another
// process's) — and false when ctx ended first. It subscribes only when the
// log has nothing new, and unsubscribes once it has, so that a busy writer
// reads the log in pages rather than an event at a time.
func (w *Writer) wait(ctx context.Context, f *feed, poll *time.Ticker) (bool, error) {
	unread, err := f.unread(ctx)
	if err != nil {
		return false, fmt.Errorf("journaling: %w", err)
	}
	if unread {
		f.unsubscribe()
		return true, nil
	}
	events, err := f.events(ctx)
	if err != nil {
		return false, fmt.Errorf("journaling: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case <-w.wake:
			return true, nil
		case e, ok := <-events:
			if !ok {
				return false, f.ended()
			}
			if e.Position <= f.last {
				continue // read already, while the writer journaled the inbox
			}
			f.add(e)
			f.unsubscribe()
			return true, nil
		case <-poll.C:
			waiting, err := w.idle(ctx)
			if err != nil || waiting {
				return waiting, err
			}
		}
	}
}

// idle is the poll of a writer with nothing to do: it issues a due
// checkpoint and reports whether another process left inbox rows.
func (w *Writer) idle(ctx context.Context) (bool, error) {
	w.checkpoint(ctx)
	waiting, err := inboxWaiting(ctx, w.cfg.DB)
	if err != nil {
		return false, fmt.Errorf("journaling: %w", err)
	}
	return waiting, nil
}

// cycle journals what is ready in one transaction (see the package doc)
// and reports whether more is ready at once.
func (w *Writer) cycle(ctx context.Context, f *feed) (bool, error) {
	if err := f.gather(ctx, w.cfg.BatchSize); err != nil {
		return false, fmt.Errorf("journaling: %w", err)
	}
	n, err := f.ready(ctx)
	if err != nil {
		return false, fmt.Errorf("journaling: %w", err)
	}
	inbox, err := readInbox(ctx, w.cfg.DB, w.cfg.InboxBatch)
	if err != nil {
		return false, fmt.Errorf("journaling: %w", err)
	}
	waiters := w.direct.take(w.cfg.InboxBatch)
	if n == 0 && len(inbox) == 0 && len(waiters) == 0 {
		return false, nil
	}
	return w.commitCycle(ctx, f, n, inbox, waiters)
}

// commitCycle journals the first n events of f, the inbox rows and the
// waiters' entries in one transaction, then issues a due checkpoint. The
// waiters learn of the commit as soon as it is done, or of the failure
// that kept their entries out.
func (w *Writer) commitCycle(ctx context.Context, f *feed, n int, inbox []inboxRow, waiters []directWait) (more bool, err error) {
	answered := false
	defer func() {
		if !answered {
			answer(waiters, cmp.Or(err, errNotLive))
		}
	}()
	leaves, entries := w.build(f.buf[:n], inbox, waiters)
	ctx, span := w.span(ctx, f.buf[:n], len(entries))
	defer span.End()
	if err := w.cfg.Hooks.afterBuild(ctx, entries); err != nil {
		return false, err
	}
	from, to := f.cursor, f.cursor
	if n > 0 {
		to = f.buf[n-1].Position
	}
	// The waiters' entries are the cycle's last leaves; mark is the last
	// one's seq and hash, by which a commit whose answer was lost is
	// known to have landed (see landed).
	var mark leafMark
	// The transaction is finished even when ctx ends meanwhile.
	err = w.cfg.DB.RunInTx(context.WithoutCancel(ctx), nil, func(ctx context.Context, tx bun.Tx) error {
		cur, err := readCursor(ctx, tx, w.cfg.Name, true)
		if err != nil {
			return err
		}
		if cur != from {
			return fmt.Errorf("cursor at %d, this writer expected %d: %w", cur, from, ErrConcurrentWriter)
		}
		seqs, err := w.cfg.Journal.AppendLeavesTx(ctx, tx, leaves)
		if err != nil {
			return err
		}
		if len(waiters) > 0 {
			mark.seq = seqs[len(seqs)-1]
			if mark.hash, err = w.cfg.Journal.LeafHashAt(ctx, tx, mark.seq); err != nil {
				return err
			}
		}
		if err := w.cfg.Hooks.afterAppend(ctx); err != nil {
			return err
		}
		if err := deleteInbox(ctx, tx, inbox); err != nil {
			return err
		}
		if to != from {
			if err := writeCursor(ctx, tx, w.cfg.Name, from, to); err != nil {
				return err
			}
		}
		return w.cfg.Hooks.beforeCommit(ctx)
	})
	if err == nil {
		err = w.cfg.Hooks.commitAnswer(ctx)
	}
	if err != nil {
		if mark.hash != nil && w.landed(ctx, mark) {
			// Committed after all: the waiters' entries are journaled, and
			// handing them to the inbox would journal them twice.
			answer(waiters, nil)
			answered = true
		}
		return false, fmt.Errorf("journaling: journal %d entries: %w", len(entries), err)
	}
	answer(waiters, nil)
	answered = true
	f.consume(n)
	if w.cfg.Observer != nil {
		for i := range entries {
			w.cfg.Observer.JournalEntry(string(entries[i].Outcome))
		}
	}
	if err := w.cfg.Hooks.afterCommit(ctx); err != nil {
		return false, err
	}
	w.checkpoint(ctx)
	if err := w.cfg.Hooks.afterCheckpoint(ctx); err != nil {
		return false, err
	}
	// Behind: go again at once rather than wait for MinInterval.
	more = f.full || len(inbox) == w.cfg.InboxBatch || (len(f.buf) > 0 && !f.partial)
	return more, nil
}

// span starts a cycle's span, continuing the trace of the command that
// wrote its first event and linking the others'.
func (w *Writer) span(ctx context.Context, evs []event, entries int) (context.Context, trace.Span) {
	meta := make([][]byte, len(evs))
	for i := range evs {
		meta[i] = evs[i].Metadata
	}
	return observability.StartFromEvents(ctx, "journal append", meta, attribute.Int("kabinet.entries", entries))
}

// build derives the leaves of the runs in evs — each run's event leaves,
// then its entry — and then the entries of the inbox rows and of the
// waiters; entries are the action entries among the leaves.
func (w *Writer) build(evs []event, inbox []inboxRow, waiters []directWait) ([]journal.Leaf, []journal.Entry) {
	ends := groupEnds(evs)
	entries := make([]journal.Entry, 0, len(ends)+len(inbox)+len(waiters))
	refs := make([]journal.EventRef, len(evs))
	hashes := make([]byte, 0, len(evs)*eventstore.HashSize)
	for i := range evs {
		hashes = eventstore.AppendHash(hashes, evs[i].RecordedEvent)
		refs[i] = journal.EventRef{Position: evs[i].Position, Hash: hashes[len(hashes)-eventstore.HashSize:]}
	}
	start := 0
	for _, end := range ends {
		entries = append(entries, deriveEntry(evs[start:end]))
		start = end
	}
	for _, r := range inbox {
		entries = append(entries, fromInbox(r))
	}
	for _, wt := range waiters {
		entries = append(entries, wt.entries...)
	}
	leaves := make([]journal.Leaf, 0, len(evs)+len(entries))
	start = 0
	for k, end := range ends {
		for i := start; i < end; i++ {
			leaves = append(leaves, journal.Leaf{Event: &refs[i]})
		}
		leaves = append(leaves, journal.Leaf{Entry: &entries[k]})
		start = end
	}
	for k := len(ends); k < len(entries); k++ {
		leaves = append(leaves, journal.Leaf{Entry: &entries[k]})
	}
	return leaves, entries
}

// checkpoint issues a time-triggered checkpoint when one is due; a failure
// is logged and retried at the next cycle or poll.
func (w *Writer) checkpoint(ctx context.Context) {
	if _, err := w.cfg.Journal.CheckpointIfDue(ctx); err != nil && ctx.Err() == nil {
		w.cfg.Logger.WarnContext(ctx, "journal checkpoint failed; retrying later", "err", err)
	}
}

// pause waits d (nothing when d ≤ 0), or until hurry receives (never when
// nil), and reports false when ctx ended first.
func pause(ctx context.Context, d time.Duration, hurry <-chan struct{}) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-hurry:
	}
	return true
}

// sleep waits d (nothing when d ≤ 0) and reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool { return pause(ctx, d, nil) }

// leafMark is a leaf a cycle appended: its seq and hash.
type leafMark struct {
	seq  uint64
	hash []byte
}

// landed reports whether the journal holds m, read afresh: whether a cycle
// whose commit failed, as far as the writer could tell, committed all the
// same. A leaf another writer appended at that seq has another hash (its
// entry, its time). When the journal cannot be read, nothing is known and
// the answer is false: the waiters then go to the inbox as before, where
// an entry is journaled twice rather than not at all.
func (w *Writer) landed(ctx context.Context, m leafMark) bool {
	h, err := w.cfg.Journal.LeafHashAt(context.WithoutCancel(ctx), w.cfg.DB, m.seq)
	return err == nil && bytes.Equal(h, m.hash)
}
