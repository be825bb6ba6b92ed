package projections

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections/esbus"
)

// RebuildPage is how many events a rebuild applies per transaction.
const RebuildPage = 2000

// Rebuild empties p's tables and replays the whole global log into them,
// one transaction per page together with the checkpoint, so an interrupted
// rebuild resumes like any projection. progress is told how far it came.
// The projection must not be running elsewhere while it rebuilds.
func Rebuild(ctx context.Context, db *sqldb.DB, store eventstore.Store, cps *esbus.SQLCheckpoints, p Projector, progress func(done, total uint64)) error {
	if _, err := schema.Up(ctx, db, p.Schema()); err != nil {
		return err
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := p.Reset(ctx, tx); err != nil {
			return fmt.Errorf("reset %s: %w", p.Name(), err)
		}
		// Checkpoints never move backwards; a rebuild removes it instead.
		_, err := tx.NewDelete().Table("checkpoints").Where("consumer = ?", p.Name()).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return CatchUp(ctx, db, store, cps, p, 0, progress)
}

// CatchUp applies the global log after position `after` up to the current
// head in pages, each page in one transaction with the checkpoint.
func CatchUp(ctx context.Context, db *sqldb.DB, store eventstore.Store, cps *esbus.SQLCheckpoints, p Projector, after uint64, progress func(done, total uint64)) error {
	return catchUp(ctx, db, store, cps, p, after, progress, nil)
}

// catchUp is CatchUp; a page that fails goes to failed when it is set
// (which applies what it can and returns the page's last position), else
// the catch-up stops with the page's error.
func catchUp(ctx context.Context, db *sqldb.DB, store eventstore.Store, cps *esbus.SQLCheckpoints, p Projector, after uint64,
	progress func(done, total uint64), failed func(ctx context.Context, p Projector, page []eventstore.RecordedEvent) error) error {
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("catch up %s: %w", p.Name(), err)
	}
	for pos := after; pos < head; {
		page, err := store.ReadAll(ctx, pos, RebuildPage)
		if err != nil {
			return fmt.Errorf("catch up %s: read after %d: %w", p.Name(), pos, err)
		}
		if len(page) == 0 {
			break
		}
		last := page[len(page)-1].Position
		sctx, span := batchSpan(ctx, p, page, "catch-up")
		err = db.RunInTx(sctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := project(ctx, tx, p, page); err != nil {
				return err
			}
			return cps.SaveTx(ctx, tx, p.Name(), last)
		})
		span.End()
		if err != nil && failed != nil && ctx.Err() == nil {
			err = failed(ctx, p, page)
		}
		if err != nil {
			return fmt.Errorf("catch up %s at %d: %w", p.Name(), last, err)
		}
		pos = last
		if progress != nil {
			progress(pos, head)
		}
	}
	return nil
}
