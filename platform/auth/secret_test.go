package auth_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
)

func TestLoadOrCreateSecret_Creates32PrivateBytesInAPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")

	secret, err := auth.LoadOrCreateSecret(dir)

	require.NoError(t, err)
	assert.Len(t, secret, 32)
	info, err := os.Stat(filepath.Join(dir, "jwt.secret"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dirInfo, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestLoadOrCreateSecret_ReReadingReturnsTheSameSecret(t *testing.T) {
	dir := t.TempDir()
	first, err := auth.LoadOrCreateSecret(dir)
	require.NoError(t, err)

	again, err := auth.LoadOrCreateSecret(dir)

	require.NoError(t, err)
	assert.Equal(t, first, again)
}

func TestLoadOrCreateSecret_ConcurrentCallersAgree(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := auth.LoadOrCreateSecret(dir)
			assert.NoError(t, err)
			got[i] = s
		}()
	}
	wg.Wait()
	for _, s := range got[1:] {
		assert.Equal(t, got[0], s)
	}
}

func TestLoadOrCreateSecret_RefusesGroupOrOtherPermissions(t *testing.T) {
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644, 0o602} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "jwt.secret")
			require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("k", 32)), 0o600))
			require.NoError(t, os.Chmod(path, mode))

			_, err := auth.LoadOrCreateSecret(dir)

			assert.ErrorContains(t, err, "chmod 600")
		})
	}
}

func TestLoadOrCreateSecret_RefusesAShortSecret(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jwt.secret"), []byte("short"), 0o600))

	_, err := auth.LoadOrCreateSecret(dir)

	assert.Error(t, err)
}

func TestLoadOrCreateSecret_RefusesADirectoryInItsPlace(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "jwt.secret"), 0o700))

	_, err := auth.LoadOrCreateSecret(dir)

	assert.Error(t, err)
}

func TestSecretFromEnv_NeedsAtLeast32Bytes(t *testing.T) {
	_, err := auth.SecretFromEnv(strings.Repeat("x", 31))
	assert.Error(t, err)

	s, err := auth.SecretFromEnv(strings.Repeat("x", 32))
	require.NoError(t, err)
	assert.Len(t, s, 32)
}
