package eventstore

import (
	"context"
	"fmt"
)

// PositionReader is an optional part of a Store: reading the events at
// given global positions in one go (the audit log's pages).
type PositionReader interface {
	// ReadPositions returns the events at positions (ascending), in that
	// order; a position with no event is left out.
	ReadPositions(ctx context.Context, positions []uint64) ([]RecordedEvent, error)
}

// ReadPositions reads the events at positions (ascending) from s: through
// its PositionReader when it has one, else one ReadAll per position.
func ReadPositions(ctx context.Context, s Store, positions []uint64) ([]RecordedEvent, error) {
	if pr, ok := s.(PositionReader); ok {
		return pr.ReadPositions(ctx, positions)
	}
	out := make([]RecordedEvent, 0, len(positions))
	for _, p := range positions {
		if p == 0 {
			continue
		}
		got, err := s.ReadAll(ctx, p-1, 1)
		if err != nil {
			return nil, fmt.Errorf("read event %d: %w", p, err)
		}
		if len(got) == 1 && got[0].Position == p {
			out = append(out, got[0])
		}
	}
	return out, nil
}
