package journal

import (
	"bytes"
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
)

// narrow handles a tree of size end that no longer matches a signed
// checkpoint (isCheckpoint) or the writer state: every entry matched its own leaf
// hash, so a row was edited together with its leaf hash. The tree nodes
// stored as the tree grew still hold the original hashes; comparing them
// with the tree rebuilt from the entries, from the last good checkpoint on,
// names the first bad seq (exactly when the leaf nodes are intact, else the
// first leaf of the smallest stored subtree that differs).
func (v *verifier) narrow(ctx context.Context, end uint64, isCheckpoint bool, reason string) (bool, error) {
	begin := v.good.End()
	seq, detail, err := v.firstStoredDifference(ctx, begin, end)
	if err != nil {
		return false, err
	}
	if seq == nil {
		detail = "; the stored tree nodes agree with the entries, so they were rewritten too (bad entries lie in [" +
			fmt.Sprint(begin) + ", " + fmt.Sprint(end) + "))"
	}
	if isCheckpoint {
		return v.failCheckpoint(end, seq, reason+detail), nil
	}
	v.res.FirstBadSeq, v.res.Reason = seq, reason+detail
	return true, nil
}

// firstStoredDifference compares entries [begin, end) with the stored tree
// nodes; seq is nil when they agree.
func (v *verifier) firstStoredDifference(ctx context.Context, begin, end uint64) (*uint64, string, error) {
	if seq, err := v.firstLeafDifference(ctx, begin, end); err != nil || seq != nil {
		return seq, fmt.Sprintf("; entry %v differs from the leaf recorded in the stored tree", deref(seq)), err
	}
	// The leaf nodes were rewritten as well: rebuild the subtrees above them
	// and find the lowest stored one that differs.
	byLevel, err := v.rebuildNodes(ctx, begin, end)
	if err != nil {
		return nil, "", err
	}
	for level := uint(1); level < uint(len(byLevel)); level++ {
		nodes := byLevel[level]
		if len(nodes) == 0 {
			continue
		}
		ids := make([]compact.NodeID, len(nodes))
		for i, n := range nodes {
			ids[i] = compact.NewNodeID(level, uint64(n.Idx))
		}
		stored, err := readNodesLenient(ctx, v, ids)
		if err != nil {
			return nil, "", err
		}
		for i, n := range nodes {
			if bytes.Equal(stored[i], n.Hash) {
				continue
			}
			b, e := ids[i].Coverage()
			first := max(b, begin)
			return &first, fmt.Sprintf("; the stored subtree (level %d, index %d) over entries [%d, %d) differs",
				level, n.Idx, first, min(e, end)), nil
		}
	}
	return nil, "", nil
}

// firstLeafDifference finds the first entry in [begin, end) whose leaf hash
// differs from the stored leaf node.
func (v *verifier) firstLeafDifference(ctx context.Context, begin, end uint64) (*uint64, error) {
	rows, err := v.tx.QueryContext(ctx, `SELECT e.seq, e.leaf_hash, n.hash FROM `+allLeaves+` e
		LEFT JOIN journal_nodes n ON n.level = 0 AND n.idx = e.seq
		WHERE e.seq >= ? AND e.seq < ? ORDER BY e.seq`, int64(begin), int64(end))
	if err != nil {
		return nil, fmt.Errorf("compare leaf nodes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq        int64
			leaf, node []byte
		)
		if err := rows.Scan(&seq, &leaf, &node); err != nil {
			return nil, fmt.Errorf("compare leaf nodes: %w", err)
		}
		if !bytes.Equal(leaf, node) {
			s := uint64(seq)
			return &s, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compare leaf nodes: %w", err)
	}
	return nil, nil
}

// rebuildNodes grows the last good tree by the stored leaf hashes of
// [begin, end) and returns the complete subtrees it forms, by level.
func (v *verifier) rebuildNodes(ctx context.Context, begin, end uint64) ([][]nodeRow, error) {
	tree := clone(v.good)
	var byLevel [][]nodeRow
	visit := func(id compact.NodeID, h []byte) {
		for uint(len(byLevel)) <= id.Level {
			byLevel = append(byLevel, nil)
		}
		byLevel[id.Level] = append(byLevel[id.Level], nodeRow{Level: int16(id.Level), Idx: int64(id.Index), Hash: h})
	}
	rows, err := v.tx.QueryContext(ctx, `SELECT leaf_hash FROM `+allLeaves+` l WHERE seq >= ? AND seq < ? ORDER BY seq`,
		int64(begin), int64(end))
	if err != nil {
		return nil, fmt.Errorf("rebuild subtrees: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("rebuild subtrees: %w", err)
		}
		if err := tree.Append(h, visit); err != nil {
			return nil, fmt.Errorf("rebuild subtrees: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rebuild subtrees: %w", err)
	}
	return byLevel, nil
}

// readNodesLenient reads nodes in chunks; a missing node reads as nil.
func readNodesLenient(ctx context.Context, v *verifier, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, 0, len(ids))
	for i := 0; i < len(ids); i += insertChunk {
		chunk := ids[i:min(i+insertChunk, len(ids))]
		found, err := fetchNodes(ctx, v.tx, chunk)
		if err != nil {
			return nil, err
		}
		for _, id := range chunk {
			out = append(out, found[id])
		}
	}
	return out, nil
}

func deref(p *uint64) any {
	if p == nil {
		return "?"
	}
	return *p
}
