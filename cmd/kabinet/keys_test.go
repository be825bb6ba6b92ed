package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/pii"
)

func TestKeysRotate_RewrapsUnderANewMasterKeyAndEverythingStillReads(t *testing.T) {
	ts := startServer(t, nil)
	dir := ts.dataDir
	p := ts.erasablePerson(3)
	ctx := context.Background()
	storedBefore, err := ts.app.RawStore.ReadAll(ctx, 0, 10_000)
	require.NoError(t, err)
	ts.stop()
	oldKey, err := os.ReadFile(filepath.Join(dir, pii.MasterKeyFile))
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"keys", "rotate", "--data-dir", dir}, &out, io.Discard))
	assert.Contains(t, out.String(), "re-wrapped 1 data keys")
	newKey, err := os.ReadFile(filepath.Join(dir, pii.MasterKeyFile))
	require.NoError(t, err)
	assert.NotEqual(t, oldKey, newKey, "master.key was replaced")
	_, err = os.Stat(filepath.Join(dir, pii.NextMasterKeyFile))
	assert.True(t, os.IsNotExist(err), "the rotation finished")

	again := startServerIn(t, dir)
	storedAfter, err := again.app.RawStore.ReadAll(ctx, 0, 10_000)
	require.NoError(t, err)
	assert.Equal(t, storedBefore, storedAfter, "no event was touched")
	h := again.do("GET", "/v1/accounts/"+p.id+"/history", again.staffToken("auditor", "aud-1"), nil)
	require.Equal(t, http.StatusOK, h.status)
	assert.Equal(t, "Эрасова", h.body["items"].([]any)[0].(map[string]any)["data"].(map[string]any)["surname"],
		"the data key opens under the new master key")

	// The old master key alone opens nothing any more.
	require.NoError(t, os.WriteFile(filepath.Join(dir, pii.MasterKeyFile), oldKey, 0o600))
	c, _, err := parseConfig("serve", []string{"--data-dir", dir})
	require.NoError(t, err)
	codec, _, closeKeys, err := openCodec(ctx, c, again.app.Events)
	require.NoError(t, err)
	defer closeKeys()
	_, _, _, err = codec.Reveal(ctx, storedAfter[0])
	assert.ErrorIs(t, err, pii.ErrUnknownMasterKey)
}

func TestKeysRotate_FromTheEnvironmentNeedsThePreviousKey(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := strings.Repeat("o", 40), strings.Repeat("n", 40)
	t.Setenv("KABINET_MASTER_KEY", oldKey)
	ts := startServerIn(t, dir)
	p := ts.erasablePerson(4)
	ts.stop()
	_, err := os.Stat(filepath.Join(dir, pii.MasterKeyFile))
	assert.True(t, os.IsNotExist(err), "with KABINET_MASTER_KEY no key file is written")

	t.Setenv("KABINET_MASTER_KEY", newKey)
	t.Setenv("KABINET_MASTER_KEY_PREVIOUS", oldKey)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"keys", "rotate", "--data-dir", dir}, &out, io.Discard))
	assert.Contains(t, out.String(), "re-wrapped 1 data keys")
	t.Setenv("KABINET_MASTER_KEY_PREVIOUS", "")
	again := startServerIn(t, dir)
	h := again.do("GET", "/v1/accounts/"+p.id+"/history", again.staffToken("auditor", "aud-1"), nil)
	require.Equal(t, http.StatusOK, h.status, string(h.raw))
	assert.Equal(t, "Эрасова", h.body["items"].([]any)[0].(map[string]any)["data"].(map[string]any)["surname"])
	assert.Error(t, run(context.Background(), []string{"keys"}, io.Discard, io.Discard), "usage")
}
