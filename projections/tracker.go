package projections

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// Tracker knows how far each projection has come, so a query can wait for
// the position a client has already seen (read-your-writes). Positions come
// from the projections running in this process and, for API-only instances,
// from the checkpoint table.
type Tracker struct {
	db *sqldb.DB

	mu      sync.Mutex
	pos     map[string]uint64
	changed chan struct{}
}

// NewTracker builds a tracker that falls back to reading checkpoints in db.
func NewTracker(db *sqldb.DB) *Tracker {
	return &Tracker{db: db, pos: map[string]uint64{}, changed: make(chan struct{})}
}

// Set records that projection name has committed position.
func (t *Tracker) Set(name string, position uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if position <= t.pos[name] {
		return
	}
	t.pos[name] = position
	close(t.changed)
	t.changed = make(chan struct{})
}

// Position returns the last position known for name.
func (t *Tracker) Position(name string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos[name]
}

func (t *Tracker) snapshot(name string) (uint64, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos[name], t.changed
}

// refresh reads name's checkpoint from the database (another instance may
// run the projection).
func (t *Tracker) refresh(ctx context.Context, name string) error {
	var pos uint64
	err := t.db.NewSelect().Table("checkpoints").Column("position").
		Where("consumer = ?", name).Scan(ctx, &pos)
	if err != nil {
		return err
	}
	t.Set(name, pos)
	return nil
}

// ErrNotCaughtUp is returned by Wait when the projection did not reach the
// asked position in time.
type ErrNotCaughtUp struct {
	Projection string
	Want, Have uint64
}

func (e *ErrNotCaughtUp) Error() string {
	return fmt.Sprintf("projection %s at %d, not yet at %d", e.Projection, e.Have, e.Want)
}

// Wait blocks until projection name has reached position, or until timeout.
func (t *Tracker) Wait(ctx context.Context, name string, position uint64, timeout time.Duration) (uint64, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		have, changed := t.snapshot(name)
		if have >= position {
			return have, nil
		}
		select {
		case <-changed:
		case <-poll.C:
			_ = t.refresh(ctx, name) // a missing row just means "not yet"
		case <-deadline.C:
			return have, &ErrNotCaughtUp{Projection: name, Want: position, Have: have}
		case <-ctx.Done():
			return have, ctx.Err()
		}
	}
}
