package readapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
)

// Proofs is the journal as the proofs of events need it (*journal.Journal).
type Proofs interface {
	LatestCheckpoint(ctx context.Context) (journal.Checkpoint, error)
	EventLeaves(ctx context.Context, positions []uint64) (map[uint64]journal.EventLeaf, error)
	InclusionProof(ctx context.Context, seq, size uint64) ([][]byte, []byte, error)
}

// Inclusion is an RFC 6962 inclusion proof of an event leaf in the tree of
// Size leaves, the one the page's checkpoint signs.
type Inclusion struct {
	Size   uint64   `json:"size"`
	Hashes [][]byte `json:"hashes"`
}

// StoredEvent is what the event hash covers beyond the item's position,
// version, type and occurred_at: the event as the store holds it (data and
// metadata byte for byte, standard base64; its schema version before any
// upcast).
type StoredEvent struct {
	StreamID      string `json:"stream_id"`
	SchemaVersion int    `json:"schema_version"`
	Data          []byte `json:"data"`
	Metadata      []byte `json:"metadata"`
}

// ItemProof is what proofs=true adds to an item: the event hash
// (eventstore.Hash of the stored event), and — once the journal holds the
// event's leaf under the page's checkpoint — its leaf index and inclusion
// proof. An event the journal has not reached yet is NotYetProven, never
// shown as proven.
type ItemProof struct {
	EventHash    []byte       `json:"event_hash,omitempty"`
	LeafIndex    *uint64      `json:"leaf_index,omitempty"`
	Inclusion    *Inclusion   `json:"inclusion,omitempty"`
	NotYetProven bool         `json:"not_yet_proven,omitempty"`
	Stored       *StoredEvent `json:"stored,omitempty"`
}

// WithProofs makes h able to prove the events it shows against the
// journal's signed checkpoints.
func (h *Histories) WithProofs(p Proofs) *Histories {
	h.proofs = p
	return h
}

// errNoProofs: proofs were asked of a history without a journal.
var errNoProofs = errors.New("history: no journal to prove events with")

// prove fills the proofs of items (from recs, one each) against the latest
// checkpoint and returns that checkpoint's signed note ("" when none has
// been issued yet: then every item is not yet proven).
func (h *Histories) prove(ctx context.Context, items []HistoryItem, recs []eventstore.RecordedEvent) (string, error) {
	if h.proofs == nil {
		return "", errNoProofs
	}
	cp, err := h.proofs.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, journal.ErrNoCheckpoint) {
		return "", fmt.Errorf("history proofs: %w", err)
	}
	positions := make([]uint64, len(recs))
	for i := range recs {
		positions[i] = recs[i].Position
	}
	leaves, err := h.proofs.EventLeaves(ctx, positions)
	if err != nil {
		return "", fmt.Errorf("history proofs: %w", err)
	}
	for i := range items {
		rec := &recs[i]
		p := &ItemProof{
			EventHash: eventstore.Hash(*rec),
			Stored:    &StoredEvent{StreamID: rec.StreamID, SchemaVersion: rec.SchemaVersion, Data: rec.Data, Metadata: rec.Metadata},
		}
		items[i].ItemProof = p
		leaf, ok := leaves[rec.Position]
		if !ok || leaf.Seq >= cp.Size {
			p.NotYetProven = true
			continue
		}
		hashes, _, err := h.proofs.InclusionProof(ctx, leaf.Seq, cp.Size)
		if err != nil {
			return "", fmt.Errorf("history proofs: event %d: %w", rec.Position, err)
		}
		if hashes == nil {
			hashes = [][]byte{}
		}
		seq := leaf.Seq
		p.LeafIndex, p.Inclusion = &seq, &Inclusion{Size: cp.Size, Hashes: hashes}
	}
	return string(cp.Note), nil
}
