package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"hash"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/compact"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// VerifyResult is the outcome of Verify.
type VerifyResult struct {
	OK          bool
	Entries     uint64 // entries checked
	Checkpoints int    // checkpoints whose signature and root were checked
	RootHash    []byte // root of the tree rebuilt from the entries (when OK)
	// FirstBadSeq is the first entry found bad: edited, missing, out of
	// place, beyond the tree, or — when only a checkpoint or the stored tree
	// caught it — the first leaf of the smallest stored subtree that differs.
	FirstBadSeq *uint64
	// FirstBadCheckpoint is the size of the first checkpoint that is badly
	// signed or whose root the entries no longer produce.
	FirstBadCheckpoint *uint64
	Reason             string

	// EventLeaves is how many event leaves were checked (Entries counts
	// the action entries).
	EventLeaves uint64
	// Events is how many event leaves were recomputed from the event store
	// (0 when the journal has no EventSource).
	Events uint64
	// FirstBadPosition is the global position of the first event found bad:
	// edited, deleted, moved or inserted in the event store, or its leaf
	// edited in the journal.
	FirstBadPosition *uint64
	// CheckpointSize is the size of the latest signed checkpoint that the
	// rebuilt tree matched (0 when none did): what Verify vouches for.
	CheckpointSize uint64
	// ProvenPosition: every event up to this global position has a leaf in
	// the tree of CheckpointSize, recomputed and matched.
	ProvenPosition uint64
	// EventHead is the last position with an event leaf; StoreHead the
	// event store's head; Unproven how many events lie past ProvenPosition
	// (not yet proven: not journaled yet, or not under a checkpoint yet).
	EventHead, StoreHead, Unproven uint64
}

// verifier is one run of Verify.
type verifier struct {
	j    *Journal
	tx   bun.IDB
	st   state
	cps  []Checkpoint // ascending size
	next int          // cps[next] is the next checkpoint to reach
	tree *compact.Range
	good *compact.Range // the tree at the last checkpoint that matched
	res  VerifyResult
	leaf []byte
	lh   *leafHasher
	sum  []byte
	h    hash.Hash
	ctx  context.Context
	// Event leaves: the last one's position, and the store's events read ahead.
	evPos uint64
	evBuf []eventstore.RecordedEvent
	evIdx int
	// pending is a checkpoint mismatch found while streaming, narrowed down
	// once the stream is closed (one connection runs one query at a time).
	pending *narrowing
}

type narrowing struct {
	end    uint64
	reason string
}

// Verify re-derives the journal from its stored entries: it streams every
// entry in seq order, checks the seqs run 0, 1, 2…, re-encodes each leaf and
// compares it with the stored leaf hash, checks each personal value against
// its salted hash, rebuilds the tree and compares it with every stored
// checkpoint (signature, origin and root) and with the writer state. It stops
// at the first fault and names it. It reads one consistent snapshot and
// blocks no writer.
func (j *Journal) Verify(ctx context.Context) (VerifyResult, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if j.db.Dialect().Name() == dialect.PG {
		opts.Isolation = sql.LevelRepeatableRead
	}
	var res VerifyResult
	err := j.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		v := &verifier{j: j, tx: tx, ctx: ctx, lh: newLeafHasher(), h: sha256.New()}
		var err error
		res, err = v.run(ctx)
		return err
	})
	if err != nil {
		return VerifyResult{}, fmt.Errorf("journal: verify: %w", err)
	}
	return res, nil
}

func (v *verifier) run(ctx context.Context) (VerifyResult, error) {
	var err error
	if v.st, err = readState(ctx, v.tx, false); err != nil {
		return v.res, err
	}
	if err := v.loadCheckpoints(ctx); err != nil {
		return v.res, err
	}
	v.tree = rangeFactory.NewEmptyRange(0)
	v.good = rangeFactory.NewEmptyRange(0)
	done, err := v.reachCheckpoints() // checkpoints of the empty tree
	if err == nil && !done {
		done, err = v.stream(ctx)
	}
	if err != nil {
		return v.res, err
	}
	if v.pending != nil { // after the stream, so its rows are closed
		_, err := v.narrow(ctx, v.pending.end, true, v.pending.reason)
		return v.res, err
	}
	if err := v.finishEvents(); err != nil {
		return v.res, err
	}
	if done {
		return v.res, nil
	}
	return v.finish(ctx)
}

func (v *verifier) loadCheckpoints(ctx context.Context) error {
	var err error
	v.cps, err = checkpointsIn(ctx, v.tx, 0, 0) // the state's snapshot, not a later one
	return err
}

// check verifies row i of b and adds its leaf to the tree.
func (v *verifier) check(b *rowBatch, i int) (bool, error) {
	want := v.tree.End()
	switch seq := b.rows[i].seq; {
	case seq < 0 || uint64(seq) > want:
		return v.fail(want, fmt.Sprintf("entry %d is missing (found %d next)", want, seq)), nil
	case want >= v.st.size:
		return v.fail(want, fmt.Sprintf("entry %d lies beyond the tree size %d", want, v.st.size)), nil
	}
	if b.rows[i].kind == kindEvent {
		return v.checkEvent(b, i, want)
	}
	if reason := v.checkFields(b, i); reason != "" {
		return v.fail(want, fmt.Sprintf("entry %d: %s", want, reason)), nil
	}
	f := leafFields[[]byte]{
		seq: want, atMicros: b.rows[i].atUS,
		actorID: b.field(i, fActorID), actorRole: b.field(i, fActorRole), action: b.field(i, fAction),
		accountID: b.field(i, fAccountID), accountIDs: b.field(i, fAccountIDs), outcome: b.field(i, fOutcome), reason: b.field(i, fReason),
		correlationID: b.field(i, fCorrelationID), eventPositions: b.field(i, fPositions),
		ipHash: b.field(i, fIPHash), uaHash: b.field(i, fUAHash),
	}
	v.leaf = appendLeaf(v.leaf[:0], &f)
	leafHash := v.lh.sum(make([]byte, 0, hashSize), v.leaf)
	if !bytes.Equal(leafHash, b.field(i, fLeafHash)) {
		return v.fail(want, fmt.Sprintf("entry %d does not match its stored leaf hash (edited or moved)", want)), nil
	}
	if err := v.tree.Append(leafHash, nil); err != nil {
		return false, fmt.Errorf("rebuild tree: %w", err)
	}
	v.res.Entries++
	return v.reachCheckpoints()
}

// checkFields checks what the leaf encoding alone would not: text is valid
// UTF-8, positions are canonical, personal values match their salted hashes.
func (v *verifier) checkFields(b *rowBatch, i int) string {
	for f := fActorID; f <= fCorrelationID; f++ {
		if !utf8.Valid(b.field(i, f)) {
			return "a text field is not valid UTF-8"
		}
	}
	if !utf8.Valid(b.field(i, fAccountIDs)) {
		return "a text field is not valid UTF-8"
	}
	if reason := checkAccountList(b.field(i, fAccountIDs), b.field(i, fAccountSet)); reason != "" {
		return reason
	}
	if !canonicalPositions(b.field(i, fPositions)) {
		return "event positions are not canonical"
	}
	if reason := v.checkPersonal("ip", b.field(i, fIP), b.field(i, fIPSalt), b.field(i, fIPHash)); reason != "" {
		return reason
	}
	return v.checkPersonal("user agent", b.field(i, fUA), b.field(i, fUASalt), b.field(i, fUAHash))
}

func (v *verifier) checkPersonal(name string, value, salt, sum []byte) string {
	switch {
	case sum == nil:
		if salt != nil || len(value) > 0 {
			return name + " is stored without its salted hash"
		}
	case len(sum) != sha256.Size:
		return name + " hash has the wrong size"
	case salt == nil:
		if len(value) > 0 {
			return name + " is stored without its salt"
		}
	default:
		v.h.Reset()
		v.h.Write(salt)
		v.h.Write(value)
		v.sum = v.h.Sum(v.sum[:0])
		if !bytes.Equal(v.sum, sum) {
			return name + " does not match its salted hash"
		}
	}
	return ""
}

// reachCheckpoints compares the tree with every checkpoint at its size.
func (v *verifier) reachCheckpoints() (bool, error) {
	for v.next < len(v.cps) && v.cps[v.next].Size == v.tree.End() {
		cp := v.cps[v.next]
		// Signatures are checked here, as the tree reaches each checkpoint,
		// so that they overlap with the scanning of rows.
		signedRoot, err := v.j.openCheckpoint(cp)
		if err != nil {
			return v.failCheckpoint(cp.Size, nil, err.Error()), nil
		}
		root, err := rootOf(v.tree)
		if err != nil {
			return false, fmt.Errorf("rebuild tree: %w", err)
		}
		if !bytes.Equal(root, signedRoot) {
			v.pending = &narrowing{cp.Size, fmt.Sprintf("checkpoint %d: the entries no longer produce its signed root", cp.Size)}
			return true, nil
		}
		v.res.Checkpoints++
		v.res.CheckpointSize, v.res.ProvenPosition = cp.Size, v.evPos
		v.next++
		v.good = clone(v.tree)
	}
	return false, nil
}

// finish checks what the stream cannot: missing tail entries, checkpoints
// beyond the tree, and the writer state's compact range.
func (v *verifier) finish(ctx context.Context) (VerifyResult, error) {
	if end := v.tree.End(); end < v.st.size {
		v.fail(end, fmt.Sprintf("entry %d is missing (the tree has %d entries)", end, v.st.size))
		return v.res, nil
	}
	if v.next < len(v.cps) {
		cp := v.cps[v.next]
		v.failCheckpoint(cp.Size, nil, fmt.Sprintf("checkpoint %d lies beyond the tree size %d", cp.Size, v.st.size))
		return v.res, nil
	}
	if !equalHashes(v.tree.Hashes(), v.st.hashes) {
		if _, err := v.narrow(ctx, v.tree.End(), false, "the entries no longer produce the writer state's tree"); err != nil {
			return v.res, err
		}
		return v.res, nil
	}
	root, err := rootOf(v.tree)
	if err != nil {
		return v.res, fmt.Errorf("rebuild tree: %w", err)
	}
	v.res.OK, v.res.RootHash = true, root
	return v.res, nil
}

func (v *verifier) fail(seq uint64, reason string) bool {
	v.res.FirstBadSeq, v.res.Reason = &seq, reason
	return true
}

func (v *verifier) failCheckpoint(size uint64, seq *uint64, reason string) bool {
	v.res.FirstBadCheckpoint, v.res.FirstBadSeq, v.res.Reason = &size, seq, reason
	return true
}

func clone(r *compact.Range) *compact.Range {
	hs := append([][]byte(nil), r.Hashes()...)
	c, _ := rangeFactory.NewRange(r.Begin(), r.End(), hs) // same shape: cannot fail
	return c
}

func equalHashes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
