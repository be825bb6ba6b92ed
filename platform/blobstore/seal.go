package blobstore

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// scanCipher is how every adapter keeps a scan at rest (see format.go):
// FileStore writes its output to a file, PGStore to a row. A change of the
// format or of the keys is made here and applies to both.
type scanCipher struct {
	aead cipher.AEAD
}

func newScanCipher(key []byte) (scanCipher, error) {
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
	return scanCipher{aead: aead}, nil
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

// sealUpload seals u into dst and returns the blob's full description.
func (c scanCipher) sealUpload(ctx context.Context, dst sealTarget, u *upload) (Blob, error) {
	blob := u.blob
	size, err := c.seal(ctx, dst, blob, u.src, u.maxSize, u.sum)
	if err != nil {
		return Blob{}, err
	}
	blob.Size = size
	blob.SHA256 = hex.EncodeToString(u.sum.Sum(nil))
	return blob, nil
}

// sealTarget is where seal writes: in order, then the meta block in place.
type sealTarget interface {
	io.Writer
	io.WriterAt
}

// seal encrypts src into f: header, a placeholder for the meta block, the
// chunks, then the meta block in its place once size and hash are known.
func (c scanCipher) seal(ctx context.Context, f sealTarget, blob Blob, src io.Reader, maxSize int64, sum hash.Hash) (int64, error) {
	prefix := make([]byte, prefixSize)
	if _, err := rand.Read(prefix); err != nil {
		return 0, fmt.Errorf("blobstore: nonce prefix: %w", err)
	}
	seal := sealing{aead: c.aead, header: newHeader(prefix), id: blob.ID}
	if _, err := f.Write(append(seal.header, make([]byte, metaSealed)...)); err != nil {
		return 0, fmt.Errorf("blobstore: write upload: %w", err)
	}
	w := &chunkWriter{sealing: seal, w: f}
	size, err := copyChunks(ctx, w, src, maxSize)
	if err != nil {
		return 0, err
	}
	m := meta{size: size, typeName: blob.Type.String()}
	sum.Sum(m.sum[:0])
	sealedMeta := c.aead.Seal(nil, seal.nonce(0), m.marshal(), seal.aad(kindMeta))
	if _, err := f.WriteAt(sealedMeta, int64(headerSize)); err != nil {
		return 0, fmt.Errorf("blobstore: write upload: %w", err)
	}
	return size, nil
}

// open authenticates the header and meta block of a sealed scan read
// from f and returns its description and a reader of its plaintext, which
// closes f.
func (c scanCipher) open(f io.ReadCloser, id string) (Blob, *chunkReader, error) {
	start := make([]byte, dataOffset)
	if _, err := io.ReadFull(f, start); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return Blob{}, nil, corrupt("file shorter than its header")
		}
		return Blob{}, nil, fmt.Errorf("blobstore: read: %w", err)
	}
	if string(start[:len(magic)]) != magic {
		return Blob{}, nil, corrupt("not a blob file")
	}
	if v := start[len(magic)]; v != version {
		return Blob{}, nil, corrupt("unknown format version %d", v)
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
