package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
)

// TestWitnessCLI_AcceptsExtensionsRefusesAForeignKey runs `kabinet journal
// witness` against a live service: the first checkpoint is trusted, a later
// one is accepted with a consistency proof, and a witness holding another
// key fails non-zero and keeps its state.
func TestWitnessCLI_AcceptsExtensionsRefusesAForeignKey(t *testing.T) {
	ts := startServer(t, nil)
	ts.register("+79128880001")
	key := string(ts.do("GET", "/v1/journal/public-key", "", nil).raw)
	state := filepath.Join(t.TempDir(), "witness.state")
	witness := func(k string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"journal", "witness", "--url", ts.srv.URL, "--state", state, "--key", k}, &out, &out)
		return out.String(), err
	}
	require.Eventually(t, func() bool { return ts.do("GET", "/v1/journal/checkpoint", "", nil).status == 200 }, 10*time.Second, 50*time.Millisecond)
	out, err := witness(key)
	require.NoError(t, err, out)
	assert.Contains(t, out, "trusted on first use")
	first, err := os.ReadFile(state)
	require.NoError(t, err)

	ts.register("+79128880002")
	require.Eventually(t, func() bool {
		out, err = witness(key)
		return err == nil && bytes.Contains([]byte(out), []byte("consistent"))
	}, 10*time.Second, 100*time.Millisecond, out)

	_, foreign, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	before, _ := os.ReadFile(state)
	_, err = witness(foreign)
	require.Error(t, err, "a checkpoint not signed with the witness's key is refused")
	after, _ := os.ReadFile(state)
	assert.Equal(t, before, after, "the old state is kept")
	assert.NotEqual(t, first, after)
}
