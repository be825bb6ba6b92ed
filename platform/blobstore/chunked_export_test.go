package blobstore

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/kabinet/kabinet/domain"
)

// The writer of the earlier chunked layout, which the stores no longer
// write but still read: the tests make such scans with it.

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

// chunkWriter seals plaintext chunks in order.
type chunkWriter struct {
	sealing
	w       io.Writer
	counter uint32
	out     []byte
}

func (c *chunkWriter) seal(chunk []byte, last bool) error {
	if c.counter == maxCounter {
		return errors.New("blobstore: blob too large for the file format")
	}
	c.counter++
	kind := kindChunk
	if last {
		kind = kindLastChunk
	}
	c.out = c.aead.Seal(c.out[:0], c.nonce(c.counter), chunk, c.aad(kind))
	_, err := c.w.Write(c.out)
	return err
}

// copyChunks seals src chunk by chunk, peeking one byte ahead to know which
// chunk is the last, and refuses the upload as soon as it has seen more than
// maxSize bytes.
func copyChunks(ctx context.Context, w *chunkWriter, src io.Reader, maxSize int64) (int64, error) {
	br := bufio.NewReaderSize(src, chunkSize)
	buf := make([]byte, chunkSize)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := io.ReadFull(br, buf)
		total += int64(n)
		last := false
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			last = true
		case err != nil:
			return 0, fmt.Errorf("blobstore: read upload: %w", err)
		default:
			if _, err := br.Peek(1); err == io.EOF {
				last = true
			} else if err != nil {
				return 0, fmt.Errorf("blobstore: read upload: %w", err)
			}
		}
		if total > maxSize {
			return 0, domain.NewError(domain.CodeFileTooLarge, "a scan may be at most %s", sizeText(maxSize)).
				WithDetail("max_size", maxSize)
		}
		if err := w.seal(buf[:n], last); err != nil {
			return 0, fmt.Errorf("blobstore: write upload: %w", err)
		}
		if last {
			return total, nil
		}
	}
}

// memFile is a sealTarget in memory.
type memFile struct{ b []byte }

// Write implements io.Writer.
func (m *memFile) Write(p []byte) (int, error) {
	m.b = append(m.b, p...)
	return len(p), nil
}

// WriteAt implements io.WriterAt within what was written.
func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, fmt.Errorf("blobstore: write at %d beyond %d bytes", off, len(m.b))
	}
	return copy(m.b[off:], p), nil
}

// putChunked stores r in the earlier chunked layout under the store's own
// key, as a scan uploaded before owner keys existed.
func (s *FileStore) putChunked(ctx context.Context, r io.Reader) (Blob, error) {
	u, err := newUpload(r, domain.MaxScanSize)
	if err != nil {
		return Blob{}, err
	}
	var buf memFile
	blob, err := s.cipher.sealUpload(ctx, &buf, u)
	if err != nil {
		return Blob{}, err
	}
	return blob, s.write(blob.ID, buf.b)
}

func (s *PGStore) putChunked(ctx context.Context, r io.Reader) (Blob, error) {
	u, err := newUpload(r, domain.MaxScanSize)
	if err != nil {
		return Blob{}, err
	}
	var buf memFile
	blob, err := s.cipher.sealUpload(ctx, &buf, u)
	if err != nil {
		return Blob{}, err
	}
	return blob, s.insert(ctx, blob.ID, buf.b)
}

// PutChunked stores a scan as the earlier layout did.
func PutChunked(ctx context.Context, s Store, r io.Reader) (Blob, error) {
	switch st := s.(type) {
	case *FileStore:
		return st.putChunked(ctx, r)
	case *PGStore:
		return st.putChunked(ctx, r)
	}
	return Blob{}, errors.New("no chunked writer for this store")
}
