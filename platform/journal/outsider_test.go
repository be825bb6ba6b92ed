package journal_test

import (
	"context"
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

// outsider checks what the journal publishes with the upstream libraries
// only: the journal is used to fetch data, never to judge it.
type outsider struct {
	t        *testing.T
	verifier note.Verifier
	origin   string
}

func newOutsider(t *testing.T, publicKey string) outsider {
	v, err := note.NewVerifier(publicKey)
	require.NoError(t, err)
	return outsider{t: t, verifier: v, origin: v.Name()}
}

// open checks a signed checkpoint note and returns its body.
func (o outsider) open(signed []byte) *log.Checkpoint {
	o.t.Helper()
	n, err := note.Open(signed, note.VerifierList(o.verifier))
	require.NoError(o.t, err)
	require.Len(o.t, n.Sigs, 1)
	cp, _, _, err := log.ParseCheckpoint(signed, o.origin, o.verifier)
	require.NoError(o.t, err)
	return cp
}

func TestOutsider_ChecksCheckpointsAndProofsWithUpstreamLibrariesOnly(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 7})
		for i := 0; i < 45; i += 5 {
			_, err := j.Append(ctx, entries(i, 5)...)
			require.NoError(t, err)
		}
		_, err := j.Checkpoint(ctx)
		require.NoError(t, err)
		o := newOutsider(t, j.PublicKey())

		// Fetch what anyone may fetch.
		all, err := j.Entries(ctx, journal.Filter{Limit: 100})
		require.NoError(t, err)
		cps, err := j.Checkpoints(ctx, 0, 0)
		require.NoError(t, err)
		require.NotEmpty(t, cps)

		// Each checkpoint is signed by the published key and its root is the
		// RFC 6962 root of the leaf hashes before it.
		roots := map[uint64][]byte{}
		tree := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
		next := 0
		for _, c := range cps {
			body := o.open(c.Note)
			assert.Equal(t, c.Size, body.Size)
			for ; uint64(next) < body.Size; next++ {
				require.NoError(t, tree.Append(all[next].LeafHash, nil))
			}
			root, err := tree.GetRootHash(nil)
			require.NoError(t, err)
			assert.Equal(t, root, body.Hash, "checkpoint %d", body.Size)
			roots[body.Size] = body.Hash
		}

		// Every entry is included in every checkpoint that covers it.
		for _, c := range cps {
			for seq := uint64(0); seq < c.Size; seq++ {
				hashes, leafHash, err := j.InclusionProof(ctx, seq, c.Size)
				require.NoError(t, err)
				assert.Equal(t, all[seq].LeafHash, leafHash)
				require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, seq, c.Size, leafHash, hashes, roots[c.Size]),
					"seq %d in tree %d", seq, c.Size)
			}
		}
		// Every checkpoint is a prefix of every later one.
		for _, a := range cps {
			for _, b := range cps {
				if a.Size > b.Size {
					continue
				}
				hashes, err := j.ConsistencyProof(ctx, a.Size, b.Size)
				require.NoError(t, err)
				require.NoError(t, proof.VerifyConsistency(rfc6962.DefaultHasher, a.Size, b.Size, hashes, roots[a.Size], roots[b.Size]),
					"%d → %d", a.Size, b.Size)
			}
		}
		// A proof for the wrong leaf or against the wrong root fails.
		hashes, _, err := j.InclusionProof(ctx, 3, 14)
		require.NoError(t, err)
		assert.Error(t, proof.VerifyInclusion(rfc6962.DefaultHasher, 3, 14, all[4].LeafHash, hashes, roots[14]))
		cons, err := j.ConsistencyProof(ctx, 7, 14)
		require.NoError(t, err)
		assert.Error(t, proof.VerifyConsistency(rfc6962.DefaultHasher, 7, 14, cons, roots[14], roots[14]))
	})
}

func TestProofs_RefuseSizesBeyondTheTree(t *testing.T) {
	db := sqltest.SQLite(t)
	ctx := context.Background()
	j := open(t, db, newKey(t), journal.Options{})
	_, err := j.Append(ctx, entries(0, 4)...)
	require.NoError(t, err)
	_, _, err = j.InclusionProof(ctx, 0, 5)
	assert.ErrorIs(t, err, journal.ErrBadRequest)
	_, _, err = j.InclusionProof(ctx, 4, 4)
	assert.ErrorIs(t, err, journal.ErrBadRequest)
	_, err = j.ConsistencyProof(ctx, 3, 5)
	assert.ErrorIs(t, err, journal.ErrBadRequest)
	_, err = j.ConsistencyProof(ctx, 4, 3)
	assert.ErrorIs(t, err, journal.ErrBadRequest)
	p, err := j.ConsistencyProof(ctx, 0, 4)
	require.NoError(t, err)
	assert.Empty(t, p)
}
