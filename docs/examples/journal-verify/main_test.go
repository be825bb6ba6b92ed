package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// TestVerify_AcceptsAnExportAndCatchesEdits produces an export with the
// service's journal, then checks it with this verifier (which uses no Kabinet
// code), and checks that edits are caught.
func TestVerify_AcceptsAnExportAndCatchesEdits(t *testing.T) {
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	verifier, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	j, err := journal.Open(ctx, sqltest.SQLite(t), signer, verifier, journal.Options{})
	require.NoError(t, err)
	for i := 0; i < 37; i++ {
		_, err := j.Append(ctx, journal.Entry{At: time.Now(), ActorID: fmt.Sprint("a", i), ActorRole: "citizen",
			Action: "RegisterAccount", Outcome: journal.Done, IP: "10.0.0.1", UserAgent: "curl/8"})
		require.NoError(t, err)
	}
	for _, from := range []uint64{0, 10} {
		var out bytes.Buffer
		require.NoError(t, j.Export(ctx, &out, from))
		n, err := verify(bytes.NewReader(out.Bytes()), vkey)
		require.NoError(t, err, "from %d", from)
		assert.Equal(t, 37-int(from), n)

		edited := strings.Replace(out.String(), `"actor_id":"a12"`, `"actor_id":"x12"`, 1)
		edited = strings.Replace(edited, `\"actor_id\":\"a12\"`, `\"actor_id\":\"x12\"`, 1)
		_, err = verify(strings.NewReader(edited), vkey)
		assert.Error(t, err, "an edited leaf is caught")
	}
	var out bytes.Buffer
	require.NoError(t, j.Export(ctx, &out, 0))
	_, otherKey, _ := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	_, err = verify(bytes.NewReader(out.Bytes()), otherKey)
	assert.Error(t, err, "another key's signature is refused")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	dropped := strings.Join(append(append([]string{}, lines[:5]...), lines[6:]...), "\n")
	_, err = verify(strings.NewReader(dropped), vkey)
	assert.Error(t, err, "a dropped entry is caught")
}
