package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// verifyLeaves is every stored leaf in seq order, as the scanner reads it:
// three integers (kind, seq, at_us), then the byte fields f0…f16 (see the
// field indexes below). An event leaf (kind 1) carries its position in at_us
// and its event hash in the fEventHash slot; its other fields are NULL.
const verifyLeaves = `SELECT 0, seq, at_us, actor_id, actor_role, action, e.account_id, outcome, reason,
	correlation_id, event_positions, ip, ip_salt, ip_hash, user_agent, ua_salt, ua_hash, leaf_hash,
	s.account_ids, account_set
	FROM journal_entries AS e LEFT JOIN journal_account_sets AS s ON s.set_id = e.account_set
	UNION ALL SELECT 1, seq, position, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	event_hash, NULL, NULL, NULL, NULL, leaf_hash, NULL, NULL FROM journal_event_leaves
	ORDER BY 2`

// Indexes of a scanned row's byte fields.
const (
	fActorID = iota
	fActorRole
	fAction
	fAccountID
	fOutcome
	fReason
	fCorrelationID
	fPositions
	fIP
	fIPSalt
	fIPHash
	fUA
	fUASalt
	fUAHash
	fLeafHash
	fAccountIDs
	fAccountSet
	nFields
)

// fEventHash is the slot of an event leaf's event hash (a binary column on
// both sides of the union, as PostgreSQL needs).
const fEventHash = fIPSalt

// Kinds of a scanned leaf.
const (
	kindEntry = 0
	kindEvent = 1
)

// scannedRow is one row of a batch: integers, and spans of the batch's arena.
type scannedRow struct {
	kind      int64
	seq, atUS int64
	spans     [nFields]span
}

// span locates a field in the arena; null marks SQL NULL.
type span struct {
	start, end int32
	null       bool
}

// rowBatch is a run of scanned rows whose byte fields live in one arena, so
// a row costs no allocation of its own.
type rowBatch struct {
	rows  []scannedRow
	arena []byte
}

// batchRows is the number of rows per batch.
const batchRows = 512

// field returns row i's field f (nil when NULL); valid until the batch is reused.
func (b *rowBatch) field(i, f int) []byte {
	s := b.rows[i].spans[f]
	if s.null {
		return nil
	}
	return b.arena[s.start:s.end:s.end]
}

// stream checks every stored entry; done reports a fault was found. One
// goroutine reads rows from the database while this one checks them, so
// the database driver and the hashing each get a core.
func (v *verifier) stream(ctx context.Context) (done bool, err error) {
	batches := make(chan *rowBatch, 4)
	free := make(chan *rowBatch, 6)
	stop := make(chan struct{})
	scanErr := make(chan error, 1)
	go func() {
		defer close(batches)
		scanErr <- v.scan(ctx, batches, free, stop)
	}()
	defer func() {
		// Stop the scanner and let it close its rows before returning, so
		// the transaction's connection is free for the next query.
		close(stop)
		for range batches {
		}
	}()
	for b := range batches {
		for i := range b.rows {
			if done, err := v.check(b, i); done || err != nil {
				return done, err
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	return false, <-scanErr
}

// scan reads the entries in seq order into batches until the rows end or
// stop is closed.
func (v *verifier) scan(ctx context.Context, out chan<- *rowBatch, free <-chan *rowBatch, stop <-chan struct{}) error {
	rows, err := v.tx.QueryContext(ctx, verifyLeaves)
	if err != nil {
		return fmt.Errorf("read entries: %w", err)
	}
	defer rows.Close()
	var (
		row  scannedRow
		raw  [nFields]sql.RawBytes
		dest = make([]any, 0, 3+nFields)
	)
	dest = append(dest, &row.kind, &row.seq, &row.atUS)
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	b := newBatch(free)
	send := func() bool {
		select {
		case out <- b:
			b = newBatch(free)
			return true
		case <-stop:
			return false
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read entry after seq %d: %w", row.seq, err)
		}
		for i, f := range raw {
			row.spans[i] = span{start: int32(len(b.arena)), null: f == nil}
			b.arena = append(b.arena, f...)
			row.spans[i].end = int32(len(b.arena))
		}
		b.rows = append(b.rows, row)
		if len(b.rows) == batchRows && !send() {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read entries: %w", err)
	}
	if len(b.rows) > 0 {
		send()
	}
	return nil
}

func newBatch(free <-chan *rowBatch) *rowBatch {
	select {
	case b := <-free:
		b.rows, b.arena = b.rows[:0], b.arena[:0]
		return b
	default:
		return &rowBatch{rows: make([]scannedRow, 0, batchRows), arena: make([]byte, 0, batchRows*400)}
	}
}
