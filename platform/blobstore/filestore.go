package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
)

// tempPattern names uploads in progress; they live beside the blobs so the
// final rename stays on one file system.
const (
	tempPrefix   = ".upload-"
	tempPattern  = tempPrefix + "*"
	staleTempAge = time.Hour
)

// FileStore is the embedded Store: one encrypted file per blob under
// <dataDir>/blobs, named by the blob id (see format.go for the layout).
// It is safe for concurrent use.
type FileStore struct {
	dir    string
	cipher scanCipher
}

var _ Store = (*FileStore)(nil)

// NewFileStore opens the store under <dataDir>/blobs, creating the
// directory (0700) if needed, with a 32-byte key (see LoadOrCreateKey).
// Uploads a crashed process left behind more than an hour ago are removed.
func NewFileStore(dataDir string, key []byte, keys OwnerKeys) (*FileStore, error) {
	c, err := newScanCipher(key, keys)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(dataDir, "blobs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blobstore: create %s: %w", dir, err)
	}
	s := &FileStore{dir: dir, cipher: c}
	s.removeStaleUploads(time.Now().Add(-staleTempAge))
	return s, nil
}

// Put implements Store. The scan is sealed in memory (scans are at most
// a few MiB), written to a temporary file, synced and renamed into place:
// a failed Put leaves no file.
func (s *FileStore) Put(ctx context.Context, owner string, r io.Reader, maxSize int64) (Blob, error) {
	u, err := newUpload(r, maxSize)
	if err != nil {
		return Blob{}, err
	}
	sealed, blob, err := s.cipher.sealOwned(ctx, owner, u)
	if err != nil {
		return Blob{}, err
	}
	return blob, s.write(blob.ID, sealed)
}

// write stores sealed as the blob id's file, durably.
func (s *FileStore) write(id string, sealed []byte) error {
	tmp, err := os.CreateTemp(s.dir, tempPattern)
	if err != nil {
		return fmt.Errorf("blobstore: create upload: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(sealed); err != nil {
		return fmt.Errorf("blobstore: write upload: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("blobstore: sync upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blobstore: close upload: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path(id)); err != nil {
		return fmt.Errorf("blobstore: store upload: %w", err)
	}
	ok = true
	return syncDir(s.dir)
}

// Open implements Store.
func (s *FileStore) Open(ctx context.Context, id string) (io.ReadCloser, Blob, error) {
	if err := ctx.Err(); err != nil {
		return nil, Blob{}, err
	}
	path, ok := s.pathOf(id)
	if !ok {
		return nil, Blob{}, ErrNotFound
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Blob{}, ErrNotFound
	}
	if err != nil {
		return nil, Blob{}, fmt.Errorf("blobstore: open: %w", err)
	}
	blob, r, err := s.cipher.open(ctx, f, id)
	if err != nil {
		f.Close()
		return nil, Blob{}, err
	}
	return r, blob, nil
}

// Delete implements Store.
func (s *FileStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, ok := s.pathOf(id)
	if !ok {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobstore: delete: %w", err)
	}
	return nil
}

// pathOf maps an id to its file, accepting only canonical UUIDs so that an
// id can never name a path outside the store.
func (s *FileStore) pathOf(id string) (string, bool) {
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		return "", false
	}
	return s.path(id), true
}

func (s *FileStore) path(id string) string { return filepath.Join(s.dir, id) }

// removeStaleUploads deletes temporary files older than before: uploads a
// crashed process never finished. Younger ones may belong to a running Put.
func (s *FileStore) removeStaleUploads(before time.Time) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

// sizeText writes a size limit the way people read it: "5 MiB", "1000 bytes".
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
