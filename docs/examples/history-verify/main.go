// Command history-verify is what an auditor runs on a history exported with
// proofs (the pages of GET /v1/accounts/{id}/history?proofs=true, or of
// GET /v1/audit/events?proofs=true, or `kabinet history ID --proofs`): with
// the journal's verifier key alone, and only upstream libraries
// (golang.org/x/mod/sumdb/note, github.com/transparency-dev/formats and
// github.com/transparency-dev/merkle) — no Kabinet code — it checks each
// page's signed checkpoint, recomputes each event's hash from the stored
// form the page carries, checks the actor shown against the stored
// metadata, and checks each event leaf's inclusion proof against the signed
// root. Events the journal has not proven yet are counted, never passed.
//
//	curl -s -H "Authorization: Bearer $AUDITOR" "$KABINET/v1/accounts/$ID/history?proofs=true" > history.json
//	go run ./docs/examples/history-verify -key "$(curl -s $KABINET/v1/journal/public-key)" -stream "account-$ID" < history.json
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	key := flag.String("key", "", "the journal's verifier key (name+hash+base64)")
	stream := flag.String("stream", "", "the stream every event must belong to (account-<id>); empty: any")
	flag.Parse()
	res, err := verify(os.Stdin, *key, *stream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "history-verify: FAILED:", err)
		os.Exit(1)
	}
	fmt.Printf("history-verify: OK, %d events proven under the signed checkpoint of size %d; %d not yet proven\n",
		res.proven, res.size, res.unproven)
}

type page struct {
	Checkpoint string  `json:"checkpoint"`
	Items      []event `json:"items"`
}

type event struct {
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

type result struct {
	proven, unproven int
	size             uint64
}

// verify checks every page read from r (one JSON object after another).
func verify(r io.Reader, key, stream string) (result, error) {
	var res result
	v, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		return res, fmt.Errorf("verifier key: %w", err)
	}
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var p page
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			if n == 1 {
				return res, errors.New("no page to check")
			}
			return res, nil
		} else if err != nil {
			return res, fmt.Errorf("page %d: %w", n, err)
		}
		var root []byte
		if p.Checkpoint != "" {
			cp, _, _, err := log.ParseCheckpoint([]byte(p.Checkpoint), v.Name(), v)
			if err != nil {
				return res, fmt.Errorf("page %d: checkpoint: %w", n, err)
			}
			res.size, root = cp.Size, cp.Hash
		}
		for _, e := range p.Items {
			proven, err := check(e, root, res.size, stream)
			if err != nil {
				return res, fmt.Errorf("event %d: %w", e.Position, err)
			}
			if proven {
				res.proven++
			} else {
				res.unproven++
			}
		}
	}
}

func check(e event, root []byte, size uint64, stream string) (bool, error) {
	if e.Stored == nil || e.EventHash == nil {
		return false, errors.New("carries no proof (export with proofs=true)")
	}
	if stream != "" && e.Stored.StreamID != stream {
		return false, fmt.Errorf("belongs to %q, not %q", e.Stored.StreamID, stream)
	}
	if !bytes.Equal(eventHash(e), e.EventHash) {
		return false, errors.New("its stored form does not hash to its event_hash")
	}
	var md struct {
		ActorID   *string `json:"actor_id"`
		ActorRole *string `json:"actor_role"`
	}
	if json.Unmarshal(e.Stored.Metadata, &md) == nil &&
		(md.ActorID != nil && *md.ActorID != e.Metadata.ActorID || md.ActorRole != nil && *md.ActorRole != e.Metadata.ActorRole) {
		return false, errors.New("the actor shown is not the stored one")
	}
	if e.NotYetProven {
		return false, nil
	}
	if e.LeafIndex == nil || e.Inclusion == nil || root == nil {
		return false, errors.New("has no inclusion proof and is not marked not yet proven")
	}
	if e.Inclusion.Size != size {
		return false, fmt.Errorf("its proof is against size %d, the checkpoint signs %d", e.Inclusion.Size, size)
	}
	// The event leaf (README, "Events under proof").
	leaf := fmt.Sprintf(`{"v":1,"kind":"event","seq":%d,"position":%d,"event_hash":"%x"}`, *e.LeafIndex, e.Position, e.EventHash)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, *e.LeafIndex, size,
		rfc6962.DefaultHasher.HashLeaf([]byte(leaf)), e.Inclusion.Hashes, root); err != nil {
		return false, fmt.Errorf("not in the signed tree: %w", err)
	}
	return true, nil
}

// eventHash is SHA-256 over "kabinet/event/v1" and eight length-prefixed
// fields (8-byte big-endian length, then the bytes): stream, version,
// position, type, schema version (decimal), occurred_at (UTC, six
// fractional digits), data and metadata as stored.
func eventHash(e event) []byte {
	h := sha256.New()
	h.Write([]byte("kabinet/event/v1"))
	for _, f := range [][]byte{
		[]byte(e.Stored.StreamID), []byte(strconv.FormatInt(e.Version, 10)), []byte(strconv.FormatUint(e.Position, 10)),
		[]byte(e.Type), []byte(strconv.Itoa(e.Stored.SchemaVersion)),
		[]byte(e.OccurredAt.UTC().Format("2006-01-02T15:04:05.000000Z")), e.Stored.Data, e.Stored.Metadata,
	} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write(f)
	}
	return h.Sum(nil)
}
