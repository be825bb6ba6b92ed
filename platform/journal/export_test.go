package journal_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestErase_RemovesPersonalDataAndKeepsEveryProofValid(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 4})
		_, err := j.Append(ctx, entries(0, 10)...)
		require.NoError(t, err)
		cp, err := j.Checkpoint(ctx)
		require.NoError(t, err)
		before, err := j.Entry(ctx, 3)
		require.NoError(t, err)
		proofBefore, _, err := j.InclusionProof(ctx, 3, cp.Size)
		require.NoError(t, err)

		require.NoError(t, j.Erase(ctx, 3))
		n, err := j.EraseAccount(ctx, "acc-1") // 1, 5, 9
		require.NoError(t, err)
		assert.Equal(t, int64(3), n)
		assert.ErrorIs(t, j.Erase(ctx, 99), journal.ErrNotFound)

		after, err := j.Entry(ctx, 3)
		require.NoError(t, err)
		assert.Empty(t, after.IP)
		assert.Empty(t, after.UserAgent)
		assert.True(t, after.Erased)
		assert.Equal(t, before.IPHash, after.IPHash, "the salted hash stays")
		assert.Equal(t, before.LeafHash, after.LeafHash)
		assert.Equal(t, before.LeafHash, rfc6962.DefaultHasher.HashLeaf(journal.CanonicalLeaf(after)))

		res, err := j.Verify(ctx)
		require.NoError(t, err)
		assert.True(t, res.OK, res.Reason)
		assert.Equal(t, cp.RootHash, res.RootHash)
		proofAfter, leaf, err := j.InclusionProof(ctx, 3, cp.Size)
		require.NoError(t, err)
		assert.Equal(t, proofBefore, proofAfter)
		require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, 3, cp.Size, leaf, proofAfter, cp.RootHash))
		// The erased value can no longer be confirmed, even by guessing: the salt is gone.
		sum := sha256.Sum256([]byte(before.IP))
		assert.NotEqual(t, sum[:], after.IPHash)
	})
}

// offlineVerify checks an export with the verifier key and upstream
// libraries only, and returns the entries it read.
func offlineVerify(r io.Reader, publicKey string) ([]map[string]any, error) {
	v, err := note.NewVerifier(publicKey)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil || len(lines) < 2 {
		return nil, fmt.Errorf("short export: %v", err)
	}
	var header struct {
		FromSeq uint64   `json:"from_seq"`
		Range   [][]byte `json:"range"`
	}
	var trailer struct {
		Checkpoint string `json:"checkpoint"`
	}
	if err := errors.Join(json.Unmarshal(lines[0], &header), json.Unmarshal(lines[len(lines)-1], &trailer)); err != nil {
		return nil, err
	}
	cp, _, _, err := log.ParseCheckpoint([]byte(trailer.Checkpoint), v.Name(), v)
	if err != nil {
		return nil, err
	}
	tree, err := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewRange(0, header.FromSeq, header.Range)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for i, line := range lines[1 : len(lines)-1] {
		var e struct {
			Seq      uint64 `json:"seq"`
			Leaf     string `json:"leaf"`
			LeafHash []byte `json:"leaf_hash"`
			IP       string `json:"ip"`
			IPSalt   []byte `json:"ip_salt"`
			IPHash   []byte `json:"ip_hash"`
		}
		var fields, leaf map[string]any
		if err := errors.Join(json.Unmarshal(line, &e), json.Unmarshal(line, &fields)); err != nil {
			return nil, err
		}
		if e.Seq != header.FromSeq+uint64(i) {
			return nil, fmt.Errorf("line %d: seq %d out of order", i+1, e.Seq)
		}
		if !bytes.Equal(e.LeafHash, rfc6962.DefaultHasher.HashLeaf([]byte(e.Leaf))) {
			return nil, fmt.Errorf("seq %d: leaf hash does not match the leaf", e.Seq)
		}
		if err := json.Unmarshal([]byte(e.Leaf), &leaf); err != nil {
			return nil, err
		}
		for _, k := range []string{"seq", "actor_id", "actor_role", "action", "account_id", "outcome", "reason", "correlation_id"} {
			if fields[k] != leaf[k] {
				return nil, fmt.Errorf("seq %d: %s is not what the leaf commits to", e.Seq, k)
			}
		}
		if fmt.Sprintf("%x", e.IPHash) != leaf["ip_hash"] {
			return nil, fmt.Errorf("seq %d: ip hash is not what the leaf commits to", e.Seq)
		}
		if sum := sha256.Sum256(append(append([]byte(nil), e.IPSalt...), e.IP...)); e.IPSalt != nil && !bytes.Equal(e.IPHash, sum[:]) {
			return nil, fmt.Errorf("seq %d: ip is not the one committed to", e.Seq)
		}
		if err := tree.Append(e.LeafHash, nil); err != nil {
			return nil, err
		}
		out = append(out, fields)
	}
	root, err := tree.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	if tree.End() != cp.Size || !bytes.Equal(root, cp.Hash) {
		return nil, fmt.Errorf("the export's leaves do not produce the signed root of size %d", cp.Size)
	}
	return out, nil
}

func TestExport_IsVerifiedOfflineWithThePublicKey(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 8})
		_, err := j.Append(ctx, entries(0, 21)...)
		require.NoError(t, err)
		require.NoError(t, j.Erase(ctx, 2))

		var full bytes.Buffer
		require.NoError(t, j.Export(ctx, &full, 0))
		got, err := offlineVerify(bytes.NewReader(full.Bytes()), j.PublicKey())
		require.NoError(t, err)
		assert.Len(t, got, 21, "export first checkpoints the whole tree")
		assert.Equal(t, "GET cabinet", got[2]["action"])
		assert.NotContains(t, got[2], "ip", "erased")

		var tail bytes.Buffer
		require.NoError(t, j.Export(ctx, &tail, 13))
		gotTail, err := offlineVerify(&tail, j.PublicKey())
		require.NoError(t, err)
		assert.Len(t, gotTail, 8, "a tail export carries the compact range before it")

		// An edited export fails offline: the entry, or its leaf and hash.
		lines := bytes.Split(full.Bytes(), []byte("\n"))
		edited := bytes.Replace(lines[5], []byte(`"actor_id":"actor-1"`), []byte(`"actor_id":"actor-9"`), 1)
		require.NotEqual(t, lines[5], edited)
		lines[5] = edited
		_, err = offlineVerify(bytes.NewReader(bytes.Join(lines, []byte("\n"))), j.PublicKey())
		assert.ErrorContains(t, err, "actor_id is not what the leaf commits to")
		lines[5] = bytes.ReplaceAll(lines[5], []byte(`actor-1`), []byte(`actor-9`))
		_, err = offlineVerify(bytes.NewReader(bytes.Join(lines, []byte("\n"))), j.PublicKey())
		assert.ErrorContains(t, err, "leaf hash does not match")

		assert.ErrorIs(t, j.Export(ctx, io.Discard, 22), journal.ErrBadRequest)
	})
}
