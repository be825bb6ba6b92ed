package blobstore_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/blobstore/blobstoretest"
)

func newFileStore(t *testing.T) (*blobstore.FileStore, string) {
	t.Helper()
	return newFileStoreWith(t, blobstoretest.NewKeys())
}

func newFileStoreWith(t *testing.T, keys blobstore.OwnerKeys) (*blobstore.FileStore, string) {
	t.Helper()
	dir := t.TempDir()
	key, err := blobstore.LoadOrCreateKey(dir)
	require.NoError(t, err)
	s, err := blobstore.NewFileStore(dir, key, keys)
	require.NoError(t, err)
	return s, dir
}

func TestFileStore_Contract(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T, keys blobstore.OwnerKeys) blobstore.Store {
		s, _ := newFileStoreWith(t, keys)
		return s
	})
}

// blobFiles lists what is in the blobs directory, temporary files included.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs"))
	require.NoError(t, err)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

func TestFileStore_TooLargeStopsReadingAtTheLimit(t *testing.T) {
	s, dir := newFileStore(t)
	cr := &blobstoretest.CountingReader{R: blobstoretest.Endless([]byte("%PDF-1.4"))}
	_, err := s.Put(t.Context(), blobstoretest.Owner, cr, domain.MaxScanSize)
	requireCode(t, err, domain.CodeFileTooLarge)
	assert.Equal(t, int64(domain.MaxScanSize+1), cr.N, "reads exactly one byte past the limit")
	assert.Empty(t, blobFiles(t, dir))
}

type failingReader struct {
	r     io.Reader
	after int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("connection reset")
	}
	if len(p) > f.after {
		p = p[:f.after]
	}
	n, err := f.r.Read(p)
	f.after -= n
	return n, err
}

func TestFileStore_FailedPutsLeaveNothingBehind(t *testing.T) {
	s, dir := newFileStore(t)
	ctx := t.Context()

	_, err := s.Put(ctx, blobstoretest.Owner, bytes.NewReader([]byte("MZ\x90\x00 this is an exe")), domain.MaxScanSize)
	requireCode(t, err, domain.CodeFileType)

	_, err = s.Put(ctx, blobstoretest.Owner, bytes.NewReader(blobstoretest.PDF(domain.MaxScanSize+1)), domain.MaxScanSize)
	requireCode(t, err, domain.CodeFileTooLarge)

	_, err = s.Put(ctx, blobstoretest.Owner, &failingReader{r: bytes.NewReader(blobstoretest.JPEG(500_000)), after: 200_000}, domain.MaxScanSize)
	require.ErrorContains(t, err, "connection reset")

	assert.Empty(t, blobFiles(t, dir), "no blob and no temporary file")

	blob, err := s.Put(ctx, blobstoretest.Owner, bytes.NewReader(blobstoretest.PNG(1000)), domain.MaxScanSize)
	require.NoError(t, err)
	assert.Equal(t, []string{blob.ID}, blobFiles(t, dir))
}

func TestFileStore_RemovesStaleUploadsOnStart(t *testing.T) {
	dir := t.TempDir()
	key, err := blobstore.LoadOrCreateKey(dir)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "blobs"), 0o700))
	stale := filepath.Join(dir, "blobs", ".upload-123")
	fresh := filepath.Join(dir, "blobs", ".upload-456")
	require.NoError(t, os.WriteFile(stale, []byte("half"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("half"), 0o600))
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))

	_, err = blobstore.NewFileStore(dir, key, blobstoretest.NewKeys())
	require.NoError(t, err)
	assert.Equal(t, []string{".upload-456"}, blobFiles(t, dir), "a young upload may belong to a running process")
}

func TestFileStore_StoresNoPlaintext(t *testing.T) {
	s, dir := newFileStore(t)
	data := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("PASSPORT 4509 123456 IVANOV "), 5000)...)
	blob, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(data), domain.MaxScanSize)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, "blobs", blob.ID))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte("%PDF")))
	assert.False(t, bytes.Contains(raw, []byte("IVANOV")))
	info, err := os.Stat(filepath.Join(dir, "blobs", blob.ID))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

// readBlob opens a blob and reads it to the end.
func readBlob(t *testing.T, s blobstore.Store, id string) ([]byte, error) {
	rc, _, err := s.Open(t.Context(), id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestFileStore_DetectsTampering(t *testing.T) {
	const size = 3*64<<10 + 100
	const dataOffset = 4 + 1 + 1 + 36 + 12 // magic, version, owner length, owner, nonce
	fileSize := int64(dataOffset + size + 16)

	tests := []struct {
		name   string
		damage func(path string) error
	}{
		{"flipped byte in the version", flipAt(4)},
		{"flipped byte in the owner's length", flipAt(5)},
		{"flipped byte in the owner", flipAt(10)},
		{"flipped byte in the nonce", flipAt(dataOffset - 3)},
		{"flipped byte in the sealed scan", flipAt(dataOffset + 10)},
		{"flipped byte in the tag", flipAt(fileSize - 1)},
		{"truncated inside the sealed scan", truncateTo(fileSize - 50)},
		{"truncated after the header", truncateTo(dataOffset)},
		{"truncated inside the header", truncateTo(10)},
		{"bytes appended", appendBytes(make([]byte, 16))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newFileStore(t)
			blob, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.PDF(size)), domain.MaxScanSize)
			require.NoError(t, err)
			path := filepath.Join(dir, "blobs", blob.ID)
			info, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, fileSize, info.Size(), "file layout changed; update the offsets")

			require.NoError(t, tt.damage(path))
			_, err = readBlob(t, s, blob.ID)
			assert.ErrorIs(t, err, blobstore.ErrCorrupt)
		})
	}
}

func TestFileStore_ReadsScansOfTheChunkedLayout(t *testing.T) {
	s, _ := newFileStore(t)
	data := blobstoretest.PDF(3*64<<10 + 100)
	blob, err := blobstore.PutChunked(t.Context(), s, bytes.NewReader(data))
	require.NoError(t, err)
	rc, got, err := s.Open(t.Context(), blob.ID)
	require.NoError(t, err)
	defer rc.Close()
	plain, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, data, plain)
	assert.Equal(t, blob, got)
}

func TestFileStore_DetectsTamperingOfTheChunkedLayout(t *testing.T) {
	const size = 3*64<<10 + 100 // three full chunks and a short last one
	const sealedChunk = 64<<10 + 16
	const dataOffset = 13 + 64
	fileSize := int64(dataOffset + 3*sealedChunk + 100 + 16)

	tests := []struct {
		name   string
		damage func(path string) error
	}{
		{"flipped byte in the header's nonce prefix", flipAt(8)},
		{"flipped byte in the meta block", flipAt(20)},
		{"flipped byte in the first chunk", flipAt(dataOffset + 10)},
		{"flipped byte in the last chunk's tag", flipAt(fileSize - 1)},
		{"truncated inside the last chunk", truncateTo(fileSize - 50)},
		{"truncated at a chunk boundary", truncateTo(dataOffset + 3*sealedChunk)},
		{"truncated after the meta block", truncateTo(dataOffset)},
		{"truncated inside the header", truncateTo(10)},
		{"bytes appended", appendBytes(make([]byte, 16))},
		{"a whole sealed chunk repeated", repeatFirstChunk(dataOffset, sealedChunk)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newFileStore(t)
			blob, err := blobstore.PutChunked(t.Context(), s, bytes.NewReader(blobstoretest.PDF(size)))
			require.NoError(t, err)
			path := filepath.Join(dir, "blobs", blob.ID)
			info, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, fileSize, info.Size(), "file layout changed; update the offsets")

			require.NoError(t, tt.damage(path))
			_, err = readBlob(t, s, blob.ID)
			assert.ErrorIs(t, err, blobstore.ErrCorrupt)
		})
	}
}

func TestFileStore_RefusesABlobMovedToAnotherID(t *testing.T) {
	s, dir := newFileStore(t)
	a, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.PDF(1000)), domain.MaxScanSize)
	require.NoError(t, err)
	b, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.PNG(1000)), domain.MaxScanSize)
	require.NoError(t, err)
	require.NoError(t, os.Rename(filepath.Join(dir, "blobs", a.ID), filepath.Join(dir, "blobs", b.ID)))
	_, err = readBlob(t, s, b.ID)
	assert.ErrorIs(t, err, blobstore.ErrCorrupt)
}

func TestFileStore_WrongKeyCannotRead(t *testing.T) {
	s, dir := newFileStore(t)
	blob, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.JPEG(1000)), domain.MaxScanSize)
	require.NoError(t, err)
	other, err := blobstore.NewFileStore(dir, bytes.Repeat([]byte{7}, blobstore.KeySize), blobstoretest.NewKeys())
	require.NoError(t, err)
	_, err = readBlob(t, other, blob.ID)
	assert.ErrorIs(t, err, blobstore.ErrCorrupt)
}

func TestLoadOrCreateKey_CreatesOwnerOnlyFileOnceAndReusesIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	key, err := blobstore.LoadOrCreateKey(dir)
	require.NoError(t, err)
	assert.Len(t, key, blobstore.KeySize)

	info, err := os.Stat(filepath.Join(dir, blobstore.KeyFileName))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	again, err := blobstore.LoadOrCreateKey(dir)
	require.NoError(t, err)
	assert.Equal(t, key, again)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary key file left")
}

func TestLoadOrCreateKey_RefusesBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, blobstore.KeyFileName)

	require.NoError(t, os.WriteFile(path, []byte("short"), 0o600))
	_, err := blobstore.LoadOrCreateKey(dir)
	assert.ErrorContains(t, err, "holds 5 bytes")

	require.NoError(t, os.WriteFile(path, make([]byte, blobstore.KeySize), 0o600))
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = blobstore.LoadOrCreateKey(dir)
	assert.ErrorContains(t, err, "accessible to others")
}

func TestNewFileStore_RefusesWrongKeySize(t *testing.T) {
	_, err := blobstore.NewFileStore(t.TempDir(), make([]byte, 16), blobstoretest.NewKeys())
	assert.Error(t, err)
}

func TestFileStore_PutRefusesNonPositiveLimit(t *testing.T) {
	s, _ := newFileStore(t)
	_, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.PDF(10)), 0)
	assert.Error(t, err)
}

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *domain.Error
	require.True(t, errors.As(err, &de), "want *domain.Error %q, got %v", code, err)
	assert.Equal(t, code, de.Code)
}

// The ways a blob file gets damaged on disk.

func flipAt(off int64) func(string) error {
	return func(path string) error {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, off); err != nil {
			return err
		}
		b[0] ^= 0x01
		_, err = f.WriteAt(b, off)
		return err
	}
}

func truncateTo(size int64) func(string) error {
	return func(path string) error { return os.Truncate(path, size) }
}

func appendBytes(extra []byte) func(string) error {
	return func(path string) error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.Write(extra)
		return err
	}
}

// repeatFirstChunk inserts a copy of the first sealed chunk after itself:
// every chunk is intact, only the order is wrong.
func repeatFirstChunk(offset, size int64) func(string) error {
	return func(path string) error {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		chunk := raw[offset : offset+size]
		out := append(append(append([]byte{}, raw[:offset+size]...), chunk...), raw[offset+size:]...)
		return os.WriteFile(path, out, 0o600)
	}
}
