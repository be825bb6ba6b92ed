package journal

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/transparency-dev/merkle/compact"
)

// ExportHeader is the first line of an export: where it starts and the
// compact range of the tree before it (the RFC 6962 hashes of the minimal
// perfect subtrees covering [0, FromSeq), left to right), so that a verifier
// can go on growing the tree from FromSeq.
type ExportHeader struct {
	Origin  string   `json:"origin"`
	FromSeq uint64   `json:"from_seq"`
	Range   [][]byte `json:"range"`
}

// ExportEntry is one leaf line of an export. Leaf is the canonical leaf
// (see the package doc) whose RFC 6962 leaf hash is LeafHash. An export
// carries no personal value: IPHash and UAHash are the salted hashes the
// leaf commits to, never the IP, the user agent or their salts. An event
// leaf has Kind "event", its Position and EventHash, and no entry fields.
type ExportEntry struct {
	Seq            uint64    `json:"seq"`
	Kind           string    `json:"kind,omitempty"`
	Position       uint64    `json:"position,omitempty"`
	EventHash      []byte    `json:"event_hash,omitempty"`
	At             time.Time `json:"at,omitzero"`
	ActorID        string    `json:"actor_id"`
	ActorRole      string    `json:"actor_role"`
	Action         string    `json:"action"`
	AccountID      string    `json:"account_id"`
	AccountIDs     []string  `json:"account_ids,omitempty"`
	Outcome        Outcome   `json:"outcome"`
	Reason         string    `json:"reason"`
	CorrelationID  string    `json:"correlation_id"`
	EventPositions []uint64  `json:"event_positions"`
	IPHash         []byte    `json:"ip_hash,omitempty"`
	UAHash         []byte    `json:"user_agent_hash,omitempty"`
	Leaf           string    `json:"leaf"`
	LeafHash       []byte    `json:"leaf_hash"`
}

// ExportTrailer is the last line of an export: the signed checkpoint of the
// tree the export ends at.
type ExportTrailer struct {
	Checkpoint string `json:"checkpoint"`
}

// exportPage is how many entries Export reads per query.
const exportPage = 1000

// Export writes the entries from fromSeq on as NDJSON: an ExportHeader line,
// one ExportEntry line per entry, and an ExportTrailer line with the signed
// checkpoint the entries end at. It first issues a checkpoint covering every
// entry unless the latest already does. An offline verifier needs only the
// verifier key: check the checkpoint's signature, hash each leaf, grow the
// header's compact range with the leaf hashes and compare the root.
func (j *Journal) Export(ctx context.Context, w io.Writer, fromSeq uint64) error {
	cp, err := j.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	if fromSeq > cp.Size {
		return fmt.Errorf("journal: export: %w: from %d is beyond the tree size %d", ErrBadRequest, fromSeq, cp.Size)
	}
	prefix, err := readNodes(ctx, j.db, compact.RangeNodes(0, fromSeq, nil))
	if err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(ExportHeader{Origin: j.origin, FromSeq: fromSeq, Range: prefix}); err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	for next := fromSeq; next < cp.Size; {
		end := min(next+exportPage, cp.Size)
		lines, err := j.exportLines(ctx, next, end)
		if err != nil {
			return fmt.Errorf("journal: export: %w", err)
		}
		for i := range lines {
			if err := enc.Encode(&lines[i]); err != nil {
				return fmt.Errorf("journal: export: %w", err)
			}
		}
		next = end
	}
	if err := enc.Encode(ExportTrailer{Checkpoint: string(cp.Note)}); err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	return nil
}

// exportLines reads the leaves [from, to) of both kinds, in seq order.
func (j *Journal) exportLines(ctx context.Context, from, to uint64) ([]ExportEntry, error) {
	var rows []entryRow
	if err := j.db.NewSelect().Model(&rows).Where("seq >= ? AND seq < ?", int64(from), int64(to)).
		OrderExpr("seq ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read entries from %d: %w", from, err)
	}
	if err := fillAccounts(ctx, j.db, rows); err != nil {
		return nil, fmt.Errorf("read entries from %d: %w", from, err)
	}
	var evs []eventLeafRow
	if err := j.db.NewSelect().Model(&evs).Where("seq >= ? AND seq < ?", int64(from), int64(to)).
		OrderExpr("seq ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read event leaves from %d: %w", from, err)
	}
	out := make([]ExportEntry, 0, to-from)
	var leaf []byte
	for seq := from; seq < to; seq++ {
		switch {
		case len(rows) > 0 && uint64(rows[0].Seq) == seq:
			e, err := rows[0].entry()
			if err != nil {
				return nil, fmt.Errorf("seq %d: %w", seq, err)
			}
			f := rows[0].leafFields()
			leaf = appendLeaf(leaf[:0], &f)
			out = append(out, ExportEntry{
				Seq: e.Seq, At: e.At, ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action,
				AccountID: e.AccountID, AccountIDs: e.AccountIDs, Outcome: e.Outcome, Reason: e.Reason, CorrelationID: e.CorrelationID,
				EventPositions: e.EventPositions, IPHash: e.IPHash, UAHash: e.UserAgentHash,
				Leaf: string(leaf), LeafHash: e.LeafHash,
			})
			rows = rows[1:]
		case len(evs) > 0 && uint64(evs[0].Seq) == seq:
			l := evs[0].leaf()
			out = append(out, ExportEntry{
				Seq: l.Seq, Kind: "event", Position: l.Position, EventHash: l.EventHash,
				Leaf: string(CanonicalEventLeaf(l)), LeafHash: l.LeafHash,
			})
			evs = evs[1:]
		default:
			return nil, fmt.Errorf("entry %d is missing", seq)
		}
	}
	return out, nil
}
