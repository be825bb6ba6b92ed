package projections

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/schema"
)

// Projector turns events into one read model. It owns its tables and is
// idempotent by (stream, version): an event it has already applied changes
// nothing, so a redelivery is harmless.
type Projector interface {
	// Name is the projector's stable consumer name (its checkpoint key):
	// renaming it re-consumes everything.
	Name() string
	// Schema is the projector's tables as versioned migrations (see
	// platform/schema): a change of its tables is one more migration.
	Schema() schema.Component
	// Reset empties the projector's tables before a rebuild.
	Reset(ctx context.Context, db bun.IDB) error
	// Project applies events, in global order, inside tx; the caller commits
	// them together with the checkpoint.
	Project(ctx context.Context, tx bun.Tx, events []eventstore.RecordedEvent) error
}
