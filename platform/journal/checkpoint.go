package journal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/uptrace/bun"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed statement of the tree's size and root hash.
type Checkpoint struct {
	Size     uint64
	RootHash []byte
	// Note is the C2SP signed note: the tlog-checkpoint body
	// ("<origin>\n<size>\n<base64 root>\n"), a blank line and the signature.
	Note     []byte
	IssuedAt time.Time
}

// issue signs a checkpoint of the tree r describes, inserts it through tx and
// returns st updated to name it as the last one.
func (j *Journal) issue(ctx context.Context, tx bun.IDB, st state, r *compact.Range) (state, error) {
	if j.signer == nil {
		return st, ErrReadOnly
	}
	root, err := rootOf(r)
	if err != nil {
		return st, fmt.Errorf("tree root: %w", err)
	}
	body := log.Checkpoint{Origin: j.origin, Size: r.End(), Hash: root}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(body)}, j.signer)
	if err != nil {
		return st, fmt.Errorf("sign checkpoint: %w", err)
	}
	at := j.now().UnixMicro()
	row := checkpointRow{Size: int64(r.End()), RootHash: root, Note: string(signed), IssuedAtUS: at}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return st, fmt.Errorf("insert checkpoint %d: %w", r.End(), err)
	}
	st.cpSize, st.cpAtUS = int64(r.End()), at
	return st, nil
}

// Checkpoint issues a checkpoint of the current tree, unless the last one
// already covers it, and returns the latest checkpoint. On an empty journal
// it issues the checkpoint of the empty tree.
func (j *Journal) Checkpoint(ctx context.Context) (Checkpoint, error) {
	if _, err := j.checkpointIf(ctx, func(state) bool { return true }); err != nil {
		return Checkpoint{}, fmt.Errorf("journal: checkpoint: %w", err)
	}
	return j.LatestCheckpoint(ctx)
}

// CheckpointIfDue issues a checkpoint when there are entries the last one
// does not cover and CheckpointInterval has passed since it was issued; it
// reports whether it issued one. Run calls it periodically.
func (j *Journal) CheckpointIfDue(ctx context.Context) (bool, error) {
	due := func(st state) bool {
		return st.size > 0 && j.now().Sub(time.UnixMicro(st.cpAtUS)) >= j.interval
	}
	issued, err := j.checkpointIf(ctx, due)
	if err != nil {
		return false, fmt.Errorf("journal: checkpoint: %w", err)
	}
	return issued, nil
}

// checkpointIf issues a checkpoint when the tree grew past the last one (or
// none exists) and due(state) holds.
func (j *Journal) checkpointIf(ctx context.Context, due func(state) bool) (bool, error) {
	// A cheap unlocked look first, so an idle Run loop takes no write lock.
	if st, err := readState(ctx, j.db, false); err != nil {
		return false, err
	} else if int64(st.size) == st.cpSize || !due(st) {
		return false, nil
	}
	issued := false
	err := j.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		st, err := readState(ctx, tx, true)
		if err != nil {
			return err
		}
		if int64(st.size) == st.cpSize || !due(st) {
			return nil
		}
		r, err := rangeFactory.NewRange(0, st.size, st.hashes)
		if err != nil {
			return fmt.Errorf("restore compact range: %w", err)
		}
		next, err := j.issue(ctx, tx, st, r)
		if err != nil {
			return err
		}
		issued = true
		return writeState(ctx, tx, next, st.size)
	})
	return issued, err
}

// Run issues checkpoints every CheckpointInterval while there are new
// entries, until ctx ends; it returns nil then. A failed attempt is logged
// and retried at the next tick. Checkpoints by count are issued by the
// appends themselves and need no Run.
func (j *Journal) Run(ctx context.Context) error {
	tick := max(j.interval/4, 10*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := j.CheckpointIfDue(ctx); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "journal checkpoint failed; retrying at the next tick", "err", err)
			}
		}
	}
}

// LatestCheckpoint returns the checkpoint of the largest tree; ErrNoCheckpoint
// when none has been issued.
func (j *Journal) LatestCheckpoint(ctx context.Context) (Checkpoint, error) {
	var row checkpointRow
	err := j.db.NewSelect().Model(&row).OrderExpr("size DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, ErrNoCheckpoint
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("journal: latest checkpoint: %w", err)
	}
	return row.checkpoint(), nil
}

// CheckpointAt returns the checkpoint issued at tree size size; ErrNotFound
// when none was issued at that size.
func (j *Journal) CheckpointAt(ctx context.Context, size uint64) (Checkpoint, error) {
	var row checkpointRow
	err := j.db.NewSelect().Model(&row).Where("size = ?", int64(size)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, fmt.Errorf("journal: checkpoint at %d: %w", size, ErrNotFound)
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("journal: checkpoint at %d: %w", size, err)
	}
	return row.checkpoint(), nil
}

// Checkpoints returns the checkpoints with size ≥ fromSize, smallest first,
// at most limit (all when limit ≤ 0).
func (j *Journal) Checkpoints(ctx context.Context, fromSize uint64, limit int) ([]Checkpoint, error) {
	return checkpointsIn(ctx, j.db, fromSize, limit)
}

// checkpointsIn is Checkpoints read through db (a transaction's snapshot).
func checkpointsIn(ctx context.Context, db bun.IDB, fromSize uint64, limit int) ([]Checkpoint, error) {
	var rows []checkpointRow
	q := db.NewSelect().Model(&rows).Where("size >= ?", int64(fromSize)).OrderExpr("size ASC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("journal: checkpoints: %w", err)
	}
	out := make([]Checkpoint, len(rows))
	for i := range rows {
		out[i] = rows[i].checkpoint()
	}
	return out, nil
}

func (r *checkpointRow) checkpoint() Checkpoint {
	return Checkpoint{
		Size: uint64(r.Size), RootHash: r.RootHash, Note: []byte(r.Note),
		IssuedAt: time.UnixMicro(r.IssuedAtUS).UTC(),
	}
}

// openCheckpoint checks a stored checkpoint's signature and origin and that
// its signed body agrees with its columns; it returns the signed root.
func (j *Journal) openCheckpoint(c Checkpoint) ([]byte, error) {
	cp, _, _, err := log.ParseCheckpoint(c.Note, j.origin, j.verifier)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %d: %w", c.Size, err)
	}
	if cp.Size != c.Size || !bytes.Equal(cp.Hash, c.RootHash) {
		return nil, fmt.Errorf("checkpoint %d: signed body says size %d and another root", c.Size, cp.Size)
	}
	return cp.Hash, nil
}
