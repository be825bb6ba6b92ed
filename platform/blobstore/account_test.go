package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/blobstore/blobstoretest"
)

// accountKeys is a key per account, as the keyring gives them; erased
// accounts have none.
type accountKeys struct{ erased map[string]bool }

var errErased = errors.New("erased")

func (k *accountKeys) key(_ context.Context, account string) ([]byte, error) {
	if k.erased[account] {
		return nil, errErased
	}
	return bytes.Repeat([]byte(account[:1]), blobstore.KeySize), nil
}

func accountStore(t *testing.T, dir string) (*blobstore.FileStore, *accountKeys) {
	t.Helper()
	keys := &accountKeys{erased: map[string]bool{}}
	s, err := blobstore.NewAccountFileStore(dir, bytes.Repeat([]byte{9}, blobstore.KeySize), keys.key)
	require.NoError(t, err)
	return s, keys
}

func TestAccountFileStore_Contract(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		s, _ := accountStore(t, t.TempDir())
		return ownedStore{s}
	})
}

// ownedStore puts every blob under one owner, so the contract suite runs
// against the account-keyed format.
type ownedStore struct{ *blobstore.FileStore }

func (o ownedStore) Put(ctx context.Context, r io.Reader, max int64) (blobstore.Blob, error) {
	return o.FileStore.Put(blobstore.WithOwner(ctx, "a-owner"), r, max)
}

func (o ownedStore) Open(ctx context.Context, id string) (io.ReadCloser, blobstore.Blob, error) {
	return o.FileStore.Open(blobstore.WithOwner(ctx, "a-owner"), id)
}

func TestAccountFileStore_OneSealPerScanUnderItsOwnersKey(t *testing.T) {
	dir := t.TempDir()
	s, keys := accountStore(t, dir)
	data := blobstoretest.PDF(300_000)
	ctx := blobstore.WithOwner(t.Context(), "alice")
	blob, err := s.Put(ctx, bytes.NewReader(data), domain.MaxScanSize)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, "blobs", blob.ID))
	require.NoError(t, err)
	assert.Equal(t, byte(2), raw[4], "version 2: one AES-GCM seal")
	assert.Len(t, raw, 4+1+12+48+len(data)+16)
	assert.False(t, bytes.Contains(raw, data[1000:1100]), "no plaintext on disk")

	rc, got, err := s.Open(ctx, blob.ID)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	assert.Equal(t, data, b)
	assert.Equal(t, blob, got)

	_, _, err = s.Open(blobstore.WithOwner(t.Context(), "bob"), blob.ID)
	assert.ErrorIs(t, err, blobstore.ErrCorrupt, "another account's key does not open it")
	_, _, err = s.Open(t.Context(), blob.ID)
	assert.ErrorIs(t, err, blobstore.ErrNoOwner)
	_, err = s.Put(t.Context(), bytes.NewReader(data), domain.MaxScanSize)
	assert.ErrorIs(t, err, blobstore.ErrNoOwner)

	raw[len(raw)-20] ^= 1
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blobs", blob.ID), raw, 0o600))
	_, _, err = s.Open(ctx, blob.ID)
	assert.ErrorIs(t, err, blobstore.ErrCorrupt, "a flipped bit is caught")

	keys.erased["alice"] = true
	_, _, err = s.Open(ctx, blob.ID)
	assert.ErrorIs(t, err, errErased, "an erased key opens nothing")
}

func TestAccountFileStore_ScansInTheOldChunkedFormatStillOpen(t *testing.T) {
	dir := t.TempDir()
	legacyKey := bytes.Repeat([]byte{9}, blobstore.KeySize)
	old, err := blobstore.NewFileStore(dir, legacyKey)
	require.NoError(t, err)
	data := blobstoretest.JPEG(200_000)
	blob, err := old.Put(t.Context(), bytes.NewReader(data), domain.MaxScanSize)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, "blobs", blob.ID))
	require.NoError(t, err)
	require.Equal(t, byte(1), raw[4], "written in the chunked version 1 format")

	s, _ := accountStore(t, dir)
	rc, got, err := s.Open(blobstore.WithOwner(t.Context(), "alice"), blob.ID)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	assert.Equal(t, data, b)
	assert.Equal(t, blob.SHA256, got.SHA256)
}
