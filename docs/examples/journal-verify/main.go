// Command journal-verify is what an outside party runs on a `kabinet journal
// export`: with the journal's public key alone, and only upstream libraries
// (golang.org/x/mod/sumdb/note, github.com/transparency-dev/formats and
// github.com/transparency-dev/merkle) — no Kabinet code — it checks the
// signed checkpoint, recomputes every leaf hash and personal-field hash, and
// grows the Merkle tree to the checkpoint's root.
//
//	go run ./docs/examples/journal-verify -key "$(curl -s https://kabinet.example/v1/journal/public-key)" < journal.ndjson
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	key := flag.String("key", "", "the journal's verifier key (name+hash+base64)")
	flag.Parse()
	n, err := verify(os.Stdin, *key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "journal-verify: FAILED:", err)
		os.Exit(1)
	}
	fmt.Printf("journal-verify: OK, %d entries match the signed checkpoint\n", n)
}

type header struct {
	Origin  string   `json:"origin"`
	FromSeq uint64   `json:"from_seq"`
	Range   [][]byte `json:"range"`
}

type entry struct {
	Seq      *uint64 `json:"seq"`
	IP       string  `json:"ip"`
	IPSalt   []byte  `json:"ip_salt"`
	IPHash   []byte  `json:"ip_hash"`
	UA       string  `json:"user_agent"`
	UASalt   []byte  `json:"user_agent_salt"`
	UAHash   []byte  `json:"user_agent_hash"`
	Leaf     string  `json:"leaf"`
	LeafHash []byte  `json:"leaf_hash"`

	Checkpoint string `json:"checkpoint"`
}

// verify checks an export read from r against the verifier key and returns
// how many entries it checked.
func verify(r io.Reader, key string) (int, error) {
	v, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		return 0, fmt.Errorf("verifier key: %w", err)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	if !sc.Scan() {
		return 0, errors.New("empty export")
	}
	var h header
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	hasher := rfc6962.DefaultHasher
	fact := compact.RangeFactory{Hash: hasher.HashChildren}
	tree, err := fact.NewRange(0, h.FromSeq, h.Range)
	if err != nil {
		return 0, fmt.Errorf("header range: %w", err)
	}
	next, n := h.FromSeq, 0
	for sc.Scan() {
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return n, fmt.Errorf("line %d: %w", n+2, err)
		}
		if e.Checkpoint != "" {
			return n, checkCheckpoint(e.Checkpoint, v, tree, hasher)
		}
		if e.Seq == nil || *e.Seq != next {
			return n, fmt.Errorf("entry %d: seq out of order (want %d)", n, next)
		}
		if !bytes.Equal(hasher.HashLeaf([]byte(e.Leaf)), e.LeafHash) {
			return n, fmt.Errorf("seq %d: leaf does not hash to its leaf_hash", next)
		}
		if err := personal(e.IP, e.IPSalt, e.IPHash, e.Leaf); err != nil {
			return n, fmt.Errorf("seq %d: ip: %w", next, err)
		}
		if err := personal(e.UA, e.UASalt, e.UAHash, e.Leaf); err != nil {
			return n, fmt.Errorf("seq %d: user agent: %w", next, err)
		}
		if err := tree.Append(e.LeafHash, nil); err != nil {
			return n, err
		}
		next++
		n++
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	return n, errors.New("no signed checkpoint at the end")
}

// personal checks a kept personal value against its salted hash, and that
// the hash is what the leaf commits to.
func personal(value string, salt, sum []byte, leaf string) error {
	if sum == nil {
		return nil
	}
	if !strings.Contains(leaf, fmt.Sprintf("%x", sum)) {
		return errors.New("salted hash is not the one in the leaf")
	}
	if value == "" && salt == nil {
		return nil // erased: the leaf still commits to the hash
	}
	got := sha256.Sum256(append(append([]byte(nil), salt...), value...))
	if !bytes.Equal(got[:], sum) {
		return errors.New("value does not match its salted hash")
	}
	return nil
}

func checkCheckpoint(signed string, v note.Verifier, tree *compact.Range, hasher *rfc6962.Hasher) error {
	cp, _, _, err := log.ParseCheckpoint([]byte(signed), v.Name(), v)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if cp.Size != tree.End() {
		return fmt.Errorf("checkpoint covers %d entries, the export %d", cp.Size, tree.End())
	}
	root, err := tree.GetRootHash(nil)
	if err != nil {
		return err
	}
	if cp.Size == 0 {
		root = hasher.EmptyRoot()
	}
	if !bytes.Equal(root, cp.Hash) {
		return errors.New("the entries do not hash to the checkpoint's root")
	}
	return nil
}
