package journal

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// EventSource is the event store as Verify reads it to recompute every
// event hash (eventstore.Store satisfies it).
type EventSource interface {
	// ReadAll returns up to limit events of the global log with position > after.
	ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error)
	// Head returns the highest committed global position.
	Head(ctx context.Context) (uint64, error)
}

// eventPage is how many events Verify reads from the store at once.
const eventPage = 1000

// checkEvent verifies the event leaf in row i of b, seq want: its position
// follows the previous event leaf's, its leaf hash matches, and — with an
// event source — the event store still holds, at that position, an event
// with that hash. It adds the leaf to the tree.
func (v *verifier) checkEvent(b *rowBatch, i int, want uint64) (bool, error) {
	pos, eventHash := uint64(b.rows[i].atUS), b.field(i, fEventHash)
	if next := v.evPos + 1; pos != next {
		return v.failEvent(want, next, fmt.Sprintf("event leaf %d names position %d where %d comes next", want, pos, next)), nil
	}
	v.leaf = appendEventLeaf(v.leaf[:0], want, pos, eventHash)
	leafHash := v.lh.sum(make([]byte, 0, hashSize), v.leaf)
	if !bytes.Equal(leafHash, b.field(i, fLeafHash)) {
		return v.failEvent(want, pos, fmt.Sprintf("event leaf %d does not match its stored leaf hash (edited or moved)", want)), nil
	}
	if v.j.events != nil {
		rec, ok, err := v.storeEvent(pos)
		if err != nil {
			return false, err
		}
		switch {
		case !ok:
			return v.failEvent(want, pos, fmt.Sprintf("event %d is missing from the event store (deleted)", pos)), nil
		case rec.Position != pos:
			return v.failEvent(want, pos, fmt.Sprintf("event %d is missing from the event store (deleted; the log goes on at %d)", pos, rec.Position)), nil
		}
		v.sum = eventstore.AppendHash(v.sum[:0], rec)
		if !bytes.Equal(v.sum, eventHash) {
			return v.failEvent(want, pos, fmt.Sprintf("event %d is not the event journaled at seq %d (edited, moved, replaced or inserted)", pos, want)), nil
		}
		v.res.Events++
	}
	v.evPos = pos
	if err := v.tree.Append(leafHash, nil); err != nil {
		return false, fmt.Errorf("rebuild tree: %w", err)
	}
	v.res.EventLeaves++
	return v.reachCheckpoints()
}

// storeEvent returns the first stored event at or after pos (ok false when
// the log ends before it), reading the store a page at a time.
func (v *verifier) storeEvent(pos uint64) (eventstore.RecordedEvent, bool, error) {
	for {
		for v.evIdx < len(v.evBuf) && v.evBuf[v.evIdx].Position < pos {
			v.evIdx++
		}
		if v.evIdx < len(v.evBuf) {
			v.evIdx++
			return v.evBuf[v.evIdx-1], true, nil
		}
		page, err := v.j.events.ReadAll(v.ctx, pos-1, eventPage)
		if err != nil {
			return eventstore.RecordedEvent{}, false, fmt.Errorf("read the event store after %d: %w", pos-1, err)
		}
		if len(page) == 0 {
			return eventstore.RecordedEvent{}, false, nil
		}
		v.evBuf, v.evIdx = page, 0
	}
}

func (v *verifier) failEvent(seq, position uint64, reason string) bool {
	v.res.FirstBadPosition = &position
	return v.fail(seq, reason)
}

// finishEvents reports how far the event store is under proof.
func (v *verifier) finishEvents() error {
	v.res.EventHead = v.evPos
	if v.j.events == nil {
		return nil
	}
	head, err := v.j.events.Head(v.ctx)
	if err != nil {
		return fmt.Errorf("read the event store's head: %w", err)
	}
	v.res.StoreHead = head
	if head > v.res.ProvenPosition {
		v.res.Unproven = head - v.res.ProvenPosition
	}
	return nil
}
