// Package proofcheck checks a person's history with proofs, as the API
// answers it (GET /v1/accounts/{id}/history?proofs=true), with the
// journal's verifier key alone: each page's signed checkpoint (C2SP
// signed note), each event's hash recomputed from its stored form, and
// each event's inclusion in the signed tree. `kabinet history --verify`
// and the auditor's web timeline check with it.
package proofcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// Page is a page of a history with proofs, as the API answers it
// (GET /v1/accounts/{id}/history?proofs=true) and `kabinet history --proofs`
// prints it, read back without Kabinet's types.
type Page struct {
	Checkpoint string  `json:"checkpoint"`
	Items      []Event `json:"items"`
}

// Event is one event of a Page: what the API shows of it, its stored
// form, its hash and its inclusion proof.
type Event struct {
	Position   uint64    `json:"position"`
	Version    int64     `json:"version"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Metadata   struct {
		ActorID   string `json:"actor_id"`
		ActorRole string `json:"actor_role"`
	} `json:"metadata"`
	EventHash []byte  `json:"event_hash"`
	LeafIndex *uint64 `json:"leaf_index"`
	Inclusion *struct {
		Size   uint64   `json:"size"`
		Hashes [][]byte `json:"hashes"`
	} `json:"inclusion"`
	NotYetProven bool `json:"not_yet_proven"`
	Stored       *struct {
		StreamID      string `json:"stream_id"`
		SchemaVersion int    `json:"schema_version"`
		Data          []byte `json:"data"`
		Metadata      []byte `json:"metadata"`
	} `json:"stored"`
}

// Result is the outcome of History.
type Result struct {
	Proven, NotYetProven int
	Size                 uint64 // the last page's checkpoint size
}

// History checks pages of a proven history read from r with the
// journal's verifier key alone: each page's checkpoint signature (C2SP
// signed note, golang.org/x/mod/sumdb/note and transparency-dev/formats),
// each event's hash recomputed from its stored form, the shown actor
// against the stored metadata, and each event leaf's RFC 6962 inclusion in
// the signed tree (transparency-dev/merkle/proof). stream, when not "",
// is the stream every event must belong to.
func History(r io.Reader, key, stream string) (Result, error) {
	var res Result
	v, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		return res, fmt.Errorf("verifier key: %w", err)
	}
	dec := json.NewDecoder(r)
	for pages := 0; ; pages++ {
		var p Page
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			if pages == 0 {
				return res, errors.New("no history page to check")
			}
			return res, nil
		} else if err != nil {
			return res, fmt.Errorf("page %d: %w", pages+1, err)
		}
		var root []byte
		if p.Checkpoint != "" {
			if res.Size, root, err = checkpoint(p.Checkpoint, v); err != nil {
				return res, fmt.Errorf("page %d: %w", pages+1, err)
			}
		}
		for _, it := range p.Items {
			proven, err := CheckEvent(it, root, res.Size, stream)
			if err != nil {
				return res, fmt.Errorf("event %d: %w", it.Position, err)
			}
			if proven {
				res.Proven++
			} else {
				res.NotYetProven++
			}
		}
	}
}

// Checkpoint checks a page's signed checkpoint with the journal's verifier
// key and returns the tree size and root hash it signs.
func Checkpoint(text, key string) (size uint64, root []byte, err error) {
	v, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		return 0, nil, fmt.Errorf("verifier key: %w", err)
	}
	return checkpoint(text, v)
}

func checkpoint(text string, v note.Verifier) (uint64, []byte, error) {
	cp, _, _, err := log.ParseCheckpoint([]byte(text), v.Name(), v)
	if err != nil {
		return 0, nil, fmt.Errorf("checkpoint: %w", err)
	}
	return cp.Size, cp.Hash, nil
}

// CheckEvent checks one event against the checkpoint of size and root
// (Checkpoint's): its hash recomputed from its stored form, the shown
// actor against the stored metadata, and its leaf's RFC 6962 inclusion in
// the signed tree. stream, when not "", is the stream it must belong to.
// proven is false, with no error, for an event the journal has not put
// under the checkpoint yet.
func CheckEvent(it Event, root []byte, size uint64, stream string) (proven bool, err error) {
	if it.Stored == nil || it.EventHash == nil {
		return false, errors.New("carries no proof (ask with proofs=true)")
	}
	if stream != "" && it.Stored.StreamID != stream {
		return false, fmt.Errorf("belongs to stream %q, not %q", it.Stored.StreamID, stream)
	}
	h := eventstore.Hash(eventstore.RecordedEvent{
		Position: it.Position, StreamID: it.Stored.StreamID, Version: it.Version, Type: it.Type,
		SchemaVersion: it.Stored.SchemaVersion, Data: it.Stored.Data, Metadata: it.Stored.Metadata,
		OccurredAt: it.OccurredAt,
	})
	if !bytes.Equal(h, it.EventHash) {
		return false, errors.New("its stored form does not hash to its event_hash")
	}
	var md struct {
		ActorID   *string `json:"actor_id"`
		ActorRole *string `json:"actor_role"`
	}
	if json.Unmarshal(it.Stored.Metadata, &md) == nil {
		if md.ActorID != nil && *md.ActorID != it.Metadata.ActorID || md.ActorRole != nil && *md.ActorRole != it.Metadata.ActorRole {
			return false, errors.New("the actor shown is not the stored one")
		}
	}
	if it.NotYetProven {
		return false, nil
	}
	if it.LeafIndex == nil || it.Inclusion == nil || root == nil {
		return false, errors.New("has no inclusion proof and is not marked not yet proven")
	}
	if it.Inclusion.Size != size {
		return false, fmt.Errorf("proof is against size %d, the checkpoint signs %d", it.Inclusion.Size, size)
	}
	leaf := `{"v":1,"kind":"event","seq":` + strconv.FormatUint(*it.LeafIndex, 10) +
		`,"position":` + strconv.FormatUint(it.Position, 10) + `,"event_hash":"` + fmt.Sprintf("%x", it.EventHash) + `"}`
	leafHash := rfc6962.DefaultHasher.HashLeaf([]byte(leaf))
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, *it.LeafIndex, size, leafHash, it.Inclusion.Hashes, root); err != nil {
		return false, fmt.Errorf("not in the signed tree: %w", err)
	}
	return true, nil
}
