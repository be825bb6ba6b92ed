package journaling

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
)

// Every event of the log becomes an event leaf of the journal's tree (see
// journal.EventRef), in the writer's cycle, together with the entry of its
// command: each run's event leaves, then its entry. The journal refuses a
// leaf that does not continue the stored ones (journal.ErrEventGap), so a
// gap in the log stalls the writer, logged, rather than being skipped.

// errEventChanged: the event at the head of the event leaves is no longer
// the one journaled.
var errEventChanged = errors.New("the event store changed an event after it was journaled")

// catchUpEvents runs when the writer starts. It checks that the last
// journaled event is still the one in the store (a changed event stalls the
// writer), and gives the events up to cursor their leaves when a journal
// from before event leaves has entries for them but no leaves, in batches.
func (w *Writer) catchUpEvents(ctx context.Context, cursor uint64) error {
	head, err := w.cfg.Journal.EventHead(ctx)
	if err != nil {
		return err
	}
	if err := w.checkEventHead(ctx, head); err != nil {
		return err
	}
	for head < cursor {
		evs, err := w.cfg.Store.ReadAll(ctx, head, min(w.cfg.BatchSize, int(cursor-head)))
		if err != nil {
			return fmt.Errorf("read the log after %d: %w", head, err)
		}
		if len(evs) == 0 {
			return fmt.Errorf("the log ends at %d, before the journaled cursor %d", head, cursor)
		}
		leaves := make([]journal.Leaf, len(evs))
		for i := range evs {
			leaves[i].Event = &journal.EventRef{Position: evs[i].Position, Hash: eventstore.Hash(evs[i])}
		}
		err = w.cfg.DB.RunInTx(context.WithoutCancel(ctx), nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := w.cfg.Journal.AppendLeavesTx(ctx, tx, leaves)
			return err
		})
		if err != nil {
			return fmt.Errorf("give events %d…%d their leaves: %w", evs[0].Position, evs[len(evs)-1].Position, err)
		}
		head = evs[len(evs)-1].Position
		w.cfg.Logger.InfoContext(ctx, "journal writer gave journaled events their leaves", "through", head, "cursor", cursor)
	}
	return nil
}

// checkEventHead compares the event at head with its leaf.
func (w *Writer) checkEventHead(ctx context.Context, head uint64) error {
	if head == 0 {
		return nil
	}
	leaf, err := w.cfg.Journal.EventLeafAt(ctx, head)
	if err != nil {
		return err
	}
	evs, err := w.cfg.Store.ReadAll(ctx, head-1, 1)
	if err != nil {
		return fmt.Errorf("read event %d: %w", head, err)
	}
	if len(evs) == 0 || evs[0].Position != head {
		return fmt.Errorf("%w: event %d is missing", errEventChanged, head)
	}
	if !bytes.Equal(eventstore.Hash(evs[0]), leaf.EventHash) {
		return fmt.Errorf("%w: event %d differs from its leaf", errEventChanged, head)
	}
	return nil
}
