package journal

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// InclusionProof proves that the entry at seq is leaf seq of the tree of
// size size (seq < size ≤ the journal's size), typically a size a checkpoint
// was issued at. It returns the RFC 6962 audit path and the entry's leaf
// hash, read from O(log size) stored tree nodes in one query; check it with
// proof.VerifyInclusion(rfc6962.DefaultHasher, seq, size, leafHash, hashes, root).
func (j *Journal) InclusionProof(ctx context.Context, seq, size uint64) ([][]byte, []byte, error) {
	if err := j.checkSize(ctx, size); err != nil {
		return nil, nil, fmt.Errorf("journal: inclusion proof: %w", err)
	}
	if seq >= size {
		return nil, nil, fmt.Errorf("journal: inclusion proof: %w: seq %d is not below size %d", ErrBadRequest, seq, size)
	}
	nodes, err := proof.Inclusion(seq, size)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: inclusion proof: %w", err)
	}
	ids := append(nodes.IDs[:len(nodes.IDs):len(nodes.IDs)], compact.NewNodeID(0, seq))
	hashes, err := readNodes(ctx, j.db, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: inclusion proof: %w", err)
	}
	leaf := hashes[len(hashes)-1]
	path, err := nodes.Rehash(hashes[:len(hashes)-1], rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: inclusion proof: %w", err)
	}
	return path, leaf, nil
}

// ConsistencyProof proves that the tree of size m is a prefix of the tree of
// size n (m ≤ n ≤ the journal's size), read from O(log n) stored tree nodes;
// check it with proof.VerifyConsistency(rfc6962.DefaultHasher, m, n, hashes, rootM, rootN).
func (j *Journal) ConsistencyProof(ctx context.Context, m, n uint64) ([][]byte, error) {
	if err := j.checkSize(ctx, n); err != nil {
		return nil, fmt.Errorf("journal: consistency proof: %w", err)
	}
	if m > n {
		return nil, fmt.Errorf("journal: consistency proof: %w: from %d is beyond to %d", ErrBadRequest, m, n)
	}
	nodes, err := proof.Consistency(m, n)
	if err != nil {
		return nil, fmt.Errorf("journal: consistency proof: %w", err)
	}
	hashes, err := readNodes(ctx, j.db, nodes.IDs)
	if err != nil {
		return nil, fmt.Errorf("journal: consistency proof: %w", err)
	}
	path, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("journal: consistency proof: %w", err)
	}
	return path, nil
}

// RootHash computes the root hash of the tree of size size (≤ the journal's
// size) from its O(log size) stored compact-range nodes.
func (j *Journal) RootHash(ctx context.Context, size uint64) ([]byte, error) {
	if err := j.checkSize(ctx, size); err != nil {
		return nil, fmt.Errorf("journal: root hash: %w", err)
	}
	r, err := j.storedRange(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("journal: root hash: %w", err)
	}
	root, err := rootOf(r)
	if err != nil {
		return nil, fmt.Errorf("journal: root hash: %w", err)
	}
	return root, nil
}

// storedRange rebuilds the compact range [0, size) from stored nodes.
func (j *Journal) storedRange(ctx context.Context, size uint64) (*compact.Range, error) {
	hashes, err := readNodes(ctx, j.db, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	return rangeFactory.NewRange(0, size, hashes)
}

// checkSize refuses a tree size beyond the journal's.
func (j *Journal) checkSize(ctx context.Context, size uint64) error {
	cur, err := j.Size(ctx)
	if err != nil {
		return err
	}
	if size > cur {
		return fmt.Errorf("%w: size %d is beyond the tree size %d", ErrBadRequest, size, cur)
	}
	return nil
}
