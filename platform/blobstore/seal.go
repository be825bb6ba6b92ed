package blobstore

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// scanCipher is how every adapter keeps a scan at rest: FileStore writes
// its output to a file, PGStore to a row. New scans are sealed under their
// owner's data key (owner.go); scans of the earlier chunked layout
// (format.go), sealed with the store's own key, stay readable. A change of
// the format or of the keys is made here and applies to both.
type scanCipher struct {
	aead cipher.AEAD // the store's key, for the earlier layout
	keys OwnerKeys
}

func newScanCipher(key []byte, keys OwnerKeys) (scanCipher, error) {
	if keys == nil {
		return scanCipher{}, errors.New("blobstore: owner keys are required")
	}
	if len(key) != KeySize {
		return scanCipher{}, fmt.Errorf("blobstore: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return scanCipher{}, fmt.Errorf("blobstore: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return scanCipher{}, fmt.Errorf("blobstore: %w", err)
	}
	return scanCipher{aead: aead, keys: keys}, nil
}

// upload is a scan being put: its id and type found from its first
// bytes, the rest still to be read (at most maxSize+1 bytes in all).
type upload struct {
	blob    Blob
	src     io.Reader
	sum     hash.Hash
	maxSize int64
}

// newUpload reads the first bytes of r and refuses what is not a scan.
func newUpload(r io.Reader, maxSize int64) (*upload, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("blobstore: maxSize must be positive, got %d", maxSize)
	}
	limited := io.LimitReader(r, maxSize+1)
	head := make([]byte, domain.ScanSniffLen)
	n, err := io.ReadFull(limited, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("blobstore: read upload: %w", err)
	}
	scanType, err := domain.DetectScanType(head[:n])
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("blobstore: new id: %w", err)
	}
	sum := sha256.New()
	return &upload{
		blob: Blob{ID: id.String(), Type: scanType}, sum: sum, maxSize: maxSize,
		src: io.TeeReader(io.MultiReader(bytes.NewReader(head[:n]), limited), sum),
	}, nil
}

// open authenticates a sealed scan read from f, of either layout, and
// returns its description and a reader of its plaintext, which closes f.
func (c scanCipher) open(ctx context.Context, f io.ReadCloser, id string) (Blob, io.ReadCloser, error) {
	head := make([]byte, len(magic)+1)
	if _, err := io.ReadFull(f, head); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return Blob{}, nil, corrupt("file shorter than its header")
		}
		return Blob{}, nil, fmt.Errorf("blobstore: read: %w", err)
	}
	if string(head[:len(magic)]) != magic {
		return Blob{}, nil, corrupt("not a blob file")
	}
	switch v := head[len(magic)]; v {
	case ownerVersion:
		defer f.Close()
		return c.openOwned(ctx, head, f, id)
	case version:
		return c.openChunked(head, f, id)
	default:
		return Blob{}, nil, corrupt("unknown format version %d", v)
	}
}

// openChunked authenticates the header and meta block of a scan of the
// earlier chunked layout, whose first bytes were read as head.
func (c scanCipher) openChunked(head []byte, f io.ReadCloser, id string) (Blob, io.ReadCloser, error) {
	start := make([]byte, dataOffset)
	copy(start, head)
	if _, err := io.ReadFull(f, start[len(head):]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return Blob{}, nil, corrupt("file shorter than its header")
		}
		return Blob{}, nil, fmt.Errorf("blobstore: read: %w", err)
	}
	seal := sealing{aead: c.aead, header: start[:headerSize], id: id}
	plain, err := c.aead.Open(nil, seal.nonce(0), start[headerSize:], seal.aad(kindMeta))
	if err != nil {
		return Blob{}, nil, corrupt("meta block does not authenticate (tampered, or another key)")
	}
	m := unmarshalMeta(plain)
	scanType, err := domain.NewScanTypeFromString(m.typeName)
	if err != nil {
		return Blob{}, nil, corrupt("unknown scan type %q", m.typeName)
	}
	blob := Blob{ID: id, Size: m.size, Type: scanType, SHA256: hex.EncodeToString(m.sum[:])}
	return blob, newChunkReader(seal, f, f, m), nil
}
