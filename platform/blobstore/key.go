package blobstore

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeySize is the size of the blob encryption key: AES-256.
const KeySize = 32

// KeyFileName is the key file's name inside the data directory.
const KeyFileName = "blob.key"

// LoadOrCreateKey returns the 32-byte blob key kept in <dataDir>/blob.key,
// creating it from crypto/rand, readable by the owner only (0600), on first
// use. Losing the file makes every stored scan unreadable, so back it up
// apart from the data. A key file others may read is refused rather than
// used, as ssh does.
func LoadOrCreateKey(dataDir string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("blobstore: create data dir: %w", err)
	}
	path := filepath.Join(dataDir, KeyFileName)
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKey(dataDir, path); err != nil {
		return nil, err
	}
	return readKey(path)
}

func readKey(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("blobstore: key file %s is accessible to others (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("blobstore: read key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("blobstore: key file %s holds %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}

// createKey writes a fresh key to a temporary file and links it into place,
// so that a reader never sees a half-written key and, when two processes
// start together, the first link wins and both use its key.
func createKey(dir, path string) error {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("blobstore: generate key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".blob.key-*")
	if err != nil {
		return fmt.Errorf("blobstore: create key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("blobstore: create key: %w", err)
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return fmt.Errorf("blobstore: write key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("blobstore: write key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blobstore: write key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("blobstore: install key: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("blobstore: sync %s: %w", dir, err)
	}
	return nil
}
