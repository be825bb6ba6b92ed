package journaling

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// RecordAll hands several entries to this process's live writer, or else
// to the inbox in one transaction (one durable commit, not one per entry,
// shared with concurrent Records; see direct): what
// one request journals at once, such as a staff read of a page naming many
// people. The entries are checked as Record checks one; if any is invalid
// none is recorded.
func (w *Writer) RecordAll(ctx context.Context, entries []journal.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	now := w.cfg.Now()
	es := make([]journal.Entry, len(entries))
	for i, e := range entries {
		if e.Action == "" {
			return errors.New("journaling: record: action is required")
		}
		if !e.Outcome.Valid() {
			return fmt.Errorf("journaling: record: outcome %q is not done, refused or denied", e.Outcome)
		}
		if err := journal.CheckAccounts(e.AccountID, e.AccountIDs); err != nil {
			return fmt.Errorf("journaling: record: %w", err)
		}
		if len(e.EventPositions) > 0 {
			return errors.New("journaling: record: event positions are derived from the log, not recorded")
		}
		if e.At.IsZero() {
			e.At = now
		}
		es[i] = e
	}
	if done, ok := w.direct.offer(es); ok {
		w.signal()
		if <-done == nil {
			return nil
		}
		// The cycle failed or the writer stopped: the inbox keeps them.
	}
	rows := make([]string, len(es))
	for i, e := range es {
		b, err := json.Marshal(toInbox(e))
		if err != nil {
			return fmt.Errorf("journaling: record: %w", err)
		}
		rows[i] = string(b)
	}
	if err := w.inbox.commit(ctx, w.cfg.DB, rows, now.UnixMicro()); err != nil {
		return fmt.Errorf("journaling: record %d entries: %w", len(rows), err)
	}
	w.signal()
	return nil
}

// inboxCommits is a group commit of inbox rows: a Record that finds another
// committing queues its rows and waits; the committer then writes every
// queued row in one transaction, so concurrent requests (staff reads,
// refusals) cost one durable commit between them, not one each.
type inboxCommits struct {
	mu      sync.Mutex
	queued  []inboxWait
	leading bool

	// insert is the row insert, prepared once (by the committer, which
	// is one at a time): a staff read of a page journals one row per
	// person on it, and parsing the INSERT anew for each row cost more
	// than writing it.
	insert *sql.Stmt
}

// insertRow is journal_inbox's insert, in placeholders both SQLite and
// PostgreSQL read.
const insertRow = `INSERT INTO journal_inbox (entry, created_at) VALUES ($1, $2)`

type inboxWait struct {
	rows []string
	at   int64
	done chan error
}

// commit writes rows (all or none) and returns when they are durable.
func (c *inboxCommits) commit(ctx context.Context, db *sqldb.DB, rows []string, at int64) error {
	me := inboxWait{rows: rows, at: at, done: make(chan error, 1)}
	c.mu.Lock()
	c.queued = append(c.queued, me)
	if c.leading {
		c.mu.Unlock()
		return <-me.done
	}
	c.leading = true
	for len(c.queued) > 0 {
		batch := c.queued
		c.queued = nil
		c.mu.Unlock()
		err := c.insertInbox(context.WithoutCancel(ctx), db, batch)
		for _, b := range batch {
			b.done <- err
		}
		c.mu.Lock()
	}
	c.leading = false
	c.mu.Unlock()
	return <-me.done
}

// insertInbox writes the rows of every waiter in one transaction.
func (c *inboxCommits) insertInbox(ctx context.Context, db *sqldb.DB, batch []inboxWait) error {
	if c.insert == nil {
		st, err := db.DB.DB.PrepareContext(ctx, insertRow)
		if err != nil {
			return err
		}
		c.insert = st
	}
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st := tx.Tx.StmtContext(ctx, c.insert)
		defer st.Close()
		for _, b := range batch {
			for _, row := range b.rows {
				if _, err := st.ExecContext(ctx, row, b.at); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
