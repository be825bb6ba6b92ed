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

// ExportEntry is one entry line of an export. Leaf is the canonical leaf
// (see the package doc) whose RFC 6962 leaf hash is LeafHash; IPHash is
// SHA-256(IPSalt‖IP) while IP and its salt are not erased, the same for the
// user agent.
type ExportEntry struct {
	Seq            uint64    `json:"seq"`
	At             time.Time `json:"at"`
	ActorID        string    `json:"actor_id"`
	ActorRole      string    `json:"actor_role"`
	Action         string    `json:"action"`
	AccountID      string    `json:"account_id"`
	Outcome        Outcome   `json:"outcome"`
	Reason         string    `json:"reason"`
	CorrelationID  string    `json:"correlation_id"`
	EventPositions []uint64  `json:"event_positions"`
	IP             string    `json:"ip,omitempty"`
	IPSalt         []byte    `json:"ip_salt,omitempty"`
	IPHash         []byte    `json:"ip_hash,omitempty"`
	UserAgent      string    `json:"user_agent,omitempty"`
	UASalt         []byte    `json:"user_agent_salt,omitempty"`
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
	var leaf []byte
	for next := fromSeq; next < cp.Size; {
		var rows []entryRow
		err := j.db.NewSelect().Model(&rows).Where("seq >= ? AND seq < ?", int64(next), int64(cp.Size)).
			OrderExpr("seq ASC").Limit(exportPage).Scan(ctx)
		if err != nil {
			return fmt.Errorf("journal: export from %d: %w", next, err)
		}
		if len(rows) == 0 {
			return fmt.Errorf("journal: export: entry %d is missing", next)
		}
		for i := range rows {
			if want := next + uint64(i); uint64(rows[i].Seq) != want {
				return fmt.Errorf("journal: export: entry %d is missing", want)
			}
			e, err := rows[i].entry()
			if err != nil {
				return fmt.Errorf("journal: export: seq %d: %w", rows[i].Seq, err)
			}
			f := rows[i].leafFields()
			leaf = appendLeaf(leaf[:0], &f)
			line := ExportEntry{
				Seq: e.Seq, At: e.At, ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action,
				AccountID: e.AccountID, Outcome: e.Outcome, Reason: e.Reason, CorrelationID: e.CorrelationID,
				EventPositions: e.EventPositions, IP: e.IP, IPSalt: rows[i].IPSalt, IPHash: e.IPHash,
				UserAgent: e.UserAgent, UASalt: rows[i].UASalt, UAHash: e.UserAgentHash,
				Leaf: string(leaf), LeafHash: e.LeafHash,
			}
			if err := enc.Encode(line); err != nil {
				return fmt.Errorf("journal: export: %w", err)
			}
		}
		next = uint64(rows[len(rows)-1].Seq) + 1
	}
	if err := enc.Encode(ExportTrailer{Checkpoint: string(cp.Note)}); err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	return nil
}
