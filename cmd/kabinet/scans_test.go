package main

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// TestScans_InPostgreSQLWhenTheReadStoreIsPostgreSQL uploads through one
// instance and reads the scan from the database as any other instance
// with the shared key would; nothing lands in the data dir.
func TestScans_InPostgreSQLWhenTheReadStoreIsPostgreSQL(t *testing.T) {
	key := strings.Repeat("5a", blobstore.KeySize)
	t.Setenv("KABINET_BLOB_KEY", key)
	dsn := sqltest.PGDSN(t)
	ts := startServer(t, map[string]string{"eventstore": dsn, "readstore": dsn})
	id, tok := ts.person("+79131110001")
	a := ts.upload(id, tok, passportMeta(), idPDF)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))

	entries, err := os.ReadDir(filepath.Join(ts.dataDir, "blobs"))
	if err == nil {
		assert.Empty(t, entries, "no scan in the instance's data dir")
	}
	assert.NoFileExists(t, filepath.Join(ts.dataDir, blobstore.KeyFileName), "the shared key is used, none created")

	other, err := sqldb.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer other.Close()
	var ids []string
	require.NoError(t, other.NewRaw(`SELECT id::text FROM scans`).Scan(context.Background(), &ids))
	require.Len(t, ids, 1)
	raw, _ := hex.DecodeString(key)
	store, err := blobstore.NewPGStore(context.Background(), other, raw, scanKeys{ts.app.Codec.Keys()})
	require.NoError(t, err)
	rc, blob, err := store.Open(context.Background(), ids[0])
	require.NoError(t, err)
	defer rc.Close()
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, idPDF, got)
	assert.EqualValues(t, len(idPDF), blob.Size)
}

// TestScans_SealedUnderTheAccountsDataKey reads an uploaded scan with a
// store that knows only the accounts' keyring (another blob key): the
// scan opens, and stops opening once the account's data key is destroyed.
func TestScans_SealedUnderTheAccountsDataKey(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.person("+79131110002")
	a := ts.upload(id, tok, passportMeta(), idPDF)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	entries, err := os.ReadDir(filepath.Join(ts.dataDir, "blobs"))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	raw, err := os.ReadFile(filepath.Join(ts.dataDir, "blobs", entries[0].Name()))
	require.NoError(t, err)
	assert.Contains(t, string(raw), id, "the file names its owner")

	keys := ts.app.Codec.Keys()
	otherDir := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(ts.dataDir, "blobs"), filepath.Join(otherDir, "blobs")))
	store, err := blobstore.NewFileStore(otherDir, []byte(strings.Repeat("k", blobstore.KeySize)), scanKeys{keys})
	require.NoError(t, err)
	rc, _, err := store.Open(context.Background(), entries[0].Name())
	require.NoError(t, err, "the account's key opens it; the blob key is not needed")
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	assert.Equal(t, idPDF, got)

	require.NoError(t, keys.Destroy(context.Background(), id))
	_, _, err = store.Open(context.Background(), entries[0].Name())
	assert.ErrorIs(t, err, blobstore.ErrErased)
}

func TestScanStore_SettingIsCheckedAgainstTheReadStore(t *testing.T) {
	c, _, err := parseConfig("serve", []string{"--readstore", "postgres://x@y/z"})
	require.NoError(t, err)
	assert.Equal(t, "postgres", c.ScanStore)
	c, _, err = parseConfig("serve", []string{"--readstore", "postgres://x@y/z", "--scan-store", "file"})
	require.NoError(t, err)
	assert.Equal(t, "file", c.ScanStore, "an install may keep its files")
	c, _, err = parseConfig("serve", nil)
	require.NoError(t, err)
	assert.Equal(t, "file", c.ScanStore)
	_, _, err = parseConfig("serve", []string{"--scan-store", "postgres"})
	assert.Error(t, err, "postgres scans need a PostgreSQL read store")
	_, _, err = parseConfig("serve", []string{"--scan-store", "s3"})
	assert.Error(t, err)
}

func TestBlobKey_FromTheEnvironmentMustBeHex(t *testing.T) {
	t.Setenv("KABINET_BLOB_KEY", "not hex")
	_, err := blobKey(Config{DataDir: t.TempDir()})
	assert.ErrorContains(t, err, "hex digits")
	t.Setenv("KABINET_BLOB_KEY", "abcd")
	_, err = blobKey(Config{DataDir: t.TempDir()})
	assert.Error(t, err, "too short")
}
