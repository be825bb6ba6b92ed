// Package blobstore keeps document scans (docs/DOMAIN.md §3): the Store port the
// write side uploads through; FileStore, the embedded adapter that keeps
// each scan AES-256-GCM-encrypted in one file under <dataDir>/blobs; and
// PGStore, which keeps the same sealed bytes in a PostgreSQL row so every
// instance shares them (both seal through scanCipher, seal.go). Events
// carry only a blob's id, size, type and SHA-256, never its bytes. Every
// adapter passes the contract suite in blobstoretest.
package blobstore

import (
	"context"
	"errors"
	"io"

	"github.com/kabinet/kabinet/domain"
)

// Blob describes a stored scan: what an event records about it.
type Blob struct {
	// ID is a UUIDv7, so ids sort by upload time.
	ID string `json:"id"`
	// Size is the plaintext size in bytes.
	Size int64 `json:"size"`
	// Type is the format found from the scan's magic bytes.
	Type domain.ScanType `json:"type"`
	// SHA256 is the lower-case hex SHA-256 of the plaintext.
	SHA256 string `json:"sha256"`
}

// Store keeps scans.
type Store interface {
	// Put reads one scan from r and stores it, sealed under the data key of
	// owner (the account it belongs to). The type is found from the
	// first bytes (a *domain.Error with domain.CodeFileType when it is not
	// PDF, JPEG or PNG); more than maxSize bytes is refused with
	// domain.CodeFileTooLarge without reading the rest of r. A failed Put
	// leaves nothing behind.
	Put(ctx context.Context, owner string, r io.Reader, maxSize int64) (Blob, error)
	// Open returns the scan's plaintext as a stream, and its description;
	// ErrErased once its owner's data key was destroyed.
	// Reads fail with ErrCorrupt when the stored bytes were altered, so read
	// to the end before trusting the whole. ErrNotFound when there is no
	// blob with that id.
	Open(ctx context.Context, id string) (io.ReadCloser, Blob, error)
	// Delete removes a blob; deleting one that is not there is not an error,
	// so erasure can be retried.
	Delete(ctx context.Context, id string) error
}

var (
	// ErrNotFound is returned by Open for an id that names no blob.
	ErrNotFound = errors.New("blobstore: blob not found")
	// ErrCorrupt is returned when a stored blob fails authentication: it was
	// truncated, extended or altered on disk, or is encrypted under another key.
	ErrCorrupt = errors.New("blobstore: blob is corrupt or was tampered with")
)
