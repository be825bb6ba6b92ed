package journal_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// TestOpen_WithoutTheSigningKeyReadsButNeverSigns opens a journal the way
// an API instance does, with the verifier key only: it serves the writer's
// checkpoints and proofs, and refuses to sign one.
func TestOpen_WithoutTheSigningKeyReadsButNeverSigns(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	k := newKey(t)
	w := open(t, db, k, journal.Options{})
	_, err := w.Append(ctx, entry(0), entry(1), entry(2))
	require.NoError(t, err)
	cp, err := w.Checkpoint(ctx)
	require.NoError(t, err)

	r, err := journal.Open(ctx, db, nil, k.verifier, journal.Options{VerifierKey: k.vkey})
	require.NoError(t, err)
	assert.Equal(t, k.vkey, r.PublicKey())
	latest, err := r.LatestCheckpoint(ctx)
	require.NoError(t, err)
	assert.Equal(t, cp.Note, latest.Note, "the writer's checkpoint")
	_, _, err = r.InclusionProof(ctx, 1, 3)
	require.NoError(t, err)
	_, err = w.Append(ctx, entry(3))
	require.NoError(t, err)
	_, err = r.Checkpoint(ctx)
	assert.ErrorIs(t, err, journal.ErrReadOnly, "a new tree needs a signature it cannot make")

	_, err = journal.Open(ctx, db, nil, nil, journal.Options{})
	assert.Error(t, err, "a verifier is still required")
}
