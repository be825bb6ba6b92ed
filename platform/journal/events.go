package journal

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// An event leaf puts one event of the event store under the journal's
// proofs. Its canonical leaf is one line of JSON, fields in this order:
//
//	{"v":1,"kind":"event","seq":N,"position":P,"event_hash":"<hex>"}
//
// where event_hash is eventstore.Hash of the event as stored. Event leaves
// cover the global log in order: positions 1, 2, 3… each once, with no gap,
// so a leaf names the event at its position and nothing else.

// EventRef is an event to put under proof: its global position and its
// event hash (eventstore.Hash).
type EventRef struct {
	Position uint64
	Hash     []byte
}

// EventLeaf is a stored event leaf.
type EventLeaf struct {
	Seq       uint64 // leaf index in the tree
	Position  uint64 // global position of the event
	EventHash []byte // eventstore.Hash of the event as stored
	LeafHash  []byte // RFC 6962 leaf hash of the canonical event leaf
}

// ErrEventGap: an append would leave a position of the global log without
// its event leaf, or give one a second.
var ErrEventGap = errors.New("journal: event leaves must follow the log without a gap")

// eventLeafSchema is the DDL of the event leaves (schema.SQL's {int} and
// {blob}: on SQLite seq is the rowid).
var eventLeafSchema = []string{
	`CREATE TABLE IF NOT EXISTS journal_event_leaves (
		seq {int} PRIMARY KEY,
		position BIGINT NOT NULL UNIQUE,
		event_hash {blob} NOT NULL,
		leaf_hash {blob} NOT NULL)`,
}

// allLeaves is every stored leaf hash with its seq, of both kinds.
const allLeaves = `(SELECT seq, leaf_hash FROM journal_entries
	UNION ALL SELECT seq, leaf_hash FROM journal_event_leaves)`

// appendEventLeaf appends the canonical event leaf to b.
func appendEventLeaf(b []byte, seq, position uint64, eventHash []byte) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, leafVersion, 10)
	b = append(b, `,"kind":"event","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"position":`...)
	b = strconv.AppendUint(b, position, 10)
	b = append(b, `,"event_hash":"`...)
	b = hex.AppendEncode(b, eventHash)
	return append(b, `"}`...)
}

// CanonicalEventLeaf returns the canonical leaf of an event leaf; its RFC
// 6962 leaf hash is l.LeafHash unless the leaf was tampered with.
func CanonicalEventLeaf(l EventLeaf) []byte {
	return appendEventLeaf(nil, l.Seq, l.Position, l.EventHash)
}

// eventLeafRow is a journal_event_leaves row.
type eventLeafRow struct {
	bun.BaseModel `bun:"table:journal_event_leaves"`

	Seq       int64  `bun:"seq,pk"`
	Position  int64  `bun:"position"`
	EventHash []byte `bun:"event_hash"`
	LeafHash  []byte `bun:"leaf_hash"`
}

func (r *eventLeafRow) leaf() EventLeaf {
	return EventLeaf{Seq: uint64(r.Seq), Position: uint64(r.Position), EventHash: r.EventHash, LeafHash: r.LeafHash}
}

// eventHead returns the highest position with an event leaf (0: none).
func eventHead(ctx context.Context, db bun.IDB) (uint64, error) {
	var p sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(position) FROM journal_event_leaves`).Scan(&p); err != nil {
		return 0, fmt.Errorf("read the event leaves' head: %w", err)
	}
	return uint64(max(p.Int64, 0)), nil
}

// EventHead returns the highest global position the journal holds an event
// leaf for (0 when none): every event up to it is under the journal's
// proofs once a checkpoint covers its leaf, every event after it is not
// yet proven.
func (j *Journal) EventHead(ctx context.Context) (uint64, error) {
	p, err := eventHead(ctx, j.db)
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	return p, nil
}

// EventLeaves returns the event leaves of positions, by position; a
// position without a leaf (not journaled yet) is absent.
func (j *Journal) EventLeaves(ctx context.Context, positions []uint64) (map[uint64]EventLeaf, error) {
	out := make(map[uint64]EventLeaf, len(positions))
	for len(positions) > 0 {
		chunk := positions[:min(len(positions), 500)]
		positions = positions[len(chunk):]
		ps := make([]int64, len(chunk))
		for i, p := range chunk {
			ps[i] = int64(p)
		}
		var rows []eventLeafRow
		if err := j.db.NewSelect().Model(&rows).Where("position IN (?)", bun.List(ps)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("journal: event leaves: %w", err)
		}
		for i := range rows {
			out[uint64(rows[i].Position)] = rows[i].leaf()
		}
	}
	return out, nil
}

// EventLeafAt returns the event leaf of position; ErrNotFound when the
// journal has none (yet).
func (j *Journal) EventLeafAt(ctx context.Context, position uint64) (EventLeaf, error) {
	ls, err := j.EventLeaves(ctx, []uint64{position})
	if err != nil {
		return EventLeaf{}, err
	}
	l, ok := ls[position]
	if !ok {
		return EventLeaf{}, fmt.Errorf("journal: event leaf of position %d: %w", position, ErrNotFound)
	}
	return l, nil
}

// eventRows builds the rows of the event leaves among leaves, which start
// at seq first, checking that their positions continue the stored ones.
func eventRows(ctx context.Context, tx bun.IDB, leaves []Leaf) (map[int]*eventLeafRow, error) {
	var rows map[int]*eventLeafRow
	var next uint64
	for i := range leaves {
		ev := leaves[i].Event
		if ev == nil {
			continue
		}
		if rows == nil {
			head, err := eventHead(ctx, tx)
			if err != nil {
				return nil, err
			}
			rows, next = make(map[int]*eventLeafRow), head+1
		}
		if ev.Position != next {
			return nil, fmt.Errorf("%w: position %d given where %d comes next", ErrEventGap, ev.Position, next)
		}
		if len(ev.Hash) != eventstore.HashSize {
			return nil, fmt.Errorf("event %d: the hash has %d bytes, not %d", ev.Position, len(ev.Hash), eventstore.HashSize)
		}
		rows[i] = &eventLeafRow{Position: int64(ev.Position), EventHash: ev.Hash}
		next++
	}
	return rows, nil
}

// insertEventLeaves writes event leaf rows through tx: on SQLite through a
// prepared single-row statement (as insertRows does), on PostgreSQL through
// bun's multi-row INSERT.
func insertEventLeaves(ctx context.Context, tx bun.IDB, rows []*eventLeafRow) error {
	if len(rows) == 0 {
		return nil
	}
	if stx := sqliteTx(tx); stx != nil {
		st, err := stx.PrepareContext(ctx, `INSERT INTO journal_event_leaves (seq, position, event_hash, leaf_hash) VALUES (?,?,?,?)`)
		if err != nil {
			return fmt.Errorf("insert event leaves: %w", err)
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r.Seq, r.Position, r.EventHash, r.LeafHash); err != nil {
				return fmt.Errorf("insert event leaf %d: %w", r.Position, err)
			}
		}
		return nil
	}
	for i := 0; i < len(rows); i += insertChunk {
		chunk := rows[i:min(i+insertChunk, len(rows))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("insert event leaves: %w", err)
		}
	}
	return nil
}
