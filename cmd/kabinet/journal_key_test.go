package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServe_AnAPIInstanceNeedsOnlyTheJournalsVerifierKey starts an API
// instance with KABINET_JOURNAL_VERIFIER_KEY and no signing key: it makes
// no key of its own and publishes the journal's.
func TestServe_AnAPIInstanceNeedsOnlyTheJournalsVerifierKey(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"journal", "keygen"}, &out, io.Discard))
	var vkey string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "verifier key: "); ok {
			vkey = v
		}
	}
	require.NotEmpty(t, vkey, out.String())
	t.Setenv("KABINET_JOURNAL_KEY", "")
	t.Setenv("KABINET_JOURNAL_VERIFIER_KEY", vkey)
	dir := t.TempDir()
	c, _, err := parseConfig("serve", []string{"--data-dir", dir, "--role", "api"})
	require.NoError(t, err)
	a, err := buildApp(context.Background(), c, io.Discard)
	require.NoError(t, err)
	defer a.Close()
	assert.NoFileExists(t, filepath.Join(dir, "journal.key"), "no signing key of its own")
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/journal/public-key")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, vkey, strings.TrimSpace(string(body)))
}
