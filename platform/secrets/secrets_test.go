package secrets

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadOrCreate_CreatesAPrivateFileOnceAndConcurrentCallersAgree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.key")
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := LoadOrCreate(path, "x key", Size)
			require.NoError(t, err)
			got[i] = s
		}()
	}
	wg.Wait()
	for _, s := range got {
		assert.Equal(t, got[0], s)
	}
	assert.Len(t, got[0], Size)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	dir, _ := os.Stat(filepath.Dir(path))
	assert.Equal(t, os.FileMode(0o700), dir.Mode().Perm())
}

func TestLoad_RefusesLooseModesShortSecretsAndDirectories(t *testing.T) {
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose")
	require.NoError(t, os.WriteFile(loose, make([]byte, 40), 0o640))
	_, err := Load(loose, "k", Size)
	assert.ErrorContains(t, err, "chmod 600")
	short := filepath.Join(dir, "short")
	require.NoError(t, os.WriteFile(short, []byte("abc"), 0o600))
	_, err = Load(short, "k", Size)
	assert.ErrorContains(t, err, "holds 3 bytes")
	_, err = Load(dir, "k", Size)
	assert.ErrorContains(t, err, "not a regular file")
}

func TestFromEnvOrFile_EnvWinsAndMustBeLongEnough(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	s, err := FromEnvOrFile("KABINET_X", "0123456789abcdef0123456789abcdef", path, "k", Size)
	require.NoError(t, err)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", string(s))
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "no file when the environment gives the secret")
	_, err = FromEnvOrFile("KABINET_X", "short", path, "k", Size)
	assert.ErrorContains(t, err, "KABINET_X holds 5 bytes")
}
