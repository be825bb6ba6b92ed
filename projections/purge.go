package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// Purger is a projector that forgets an account whose personal data was
// erased (docs/DOMAIN.md §11): its rows of that account are deleted in the
// transaction that applies PersonalDataErased, live or in a rebuild, so a
// read model never shows what the erasure removed and a rebuild ends
// without the account.
type Purger interface {
	Purge(ctx context.Context, tx bun.Tx, accountID string) error
}

// ErasedEventType is the event after which an account's rows are purged.
const ErasedEventType = "PersonalDataErased"

// project applies batch to p, then purges the accounts erased in it.
func project(ctx context.Context, tx bun.Tx, p Projector, batch []eventstore.RecordedEvent) error {
	if err := p.Project(ctx, tx, batch); err != nil {
		return err
	}
	pg, ok := p.(Purger)
	if !ok {
		return nil
	}
	for _, rec := range batch {
		if rec.Type != ErasedEventType {
			continue
		}
		id, ok := strings.CutPrefix(rec.StreamID, "account-")
		if !ok {
			continue
		}
		if err := pg.Purge(ctx, tx, id); err != nil {
			return fmt.Errorf("purge %s from %s: %w", id, p.Name(), err)
		}
	}
	return nil
}
