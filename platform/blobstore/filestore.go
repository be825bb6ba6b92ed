package blobstore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
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
	dir  string
	aead cipher.AEAD // the data dir's blob key: version 1 files
	keys AccountKeys // nil: new blobs are version 1
}

var _ Store = (*FileStore)(nil)

// NewFileStore opens the store under <dataDir>/blobs, creating the
// directory (0700) if needed, with a 32-byte key (see LoadOrCreateKey).
// Uploads a crashed process left behind more than an hour ago are removed.
// New blobs use the chunked version 1 format under that key; see
// NewAccountFileStore for blobs sealed with their account's key.
func NewFileStore(dataDir string, key []byte) (*FileStore, error) {
	return NewAccountFileStore(dataDir, key, nil)
}

// NewAccountFileStore is NewFileStore whose new blobs are sealed in one
// piece with their owner's data key (account.go; the owner comes from
// WithOwner); key still opens the version 1 blobs stored before.
func NewAccountFileStore(dataDir string, key []byte, keys AccountKeys) (*FileStore, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("blobstore: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	dir := filepath.Join(dataDir, "blobs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blobstore: create %s: %w", dir, err)
	}
	s := &FileStore{dir: dir, aead: aead, keys: keys}
	s.removeStaleUploads(time.Now().Add(-staleTempAge))
	return s, nil
}

// Put implements Store. It streams: at most maxSize+1 bytes are read from r
// and at most one 64 KiB chunk of plaintext is held in memory.
func (s *FileStore) Put(ctx context.Context, r io.Reader, maxSize int64) (Blob, error) {
	if maxSize <= 0 {
		return Blob{}, fmt.Errorf("blobstore: maxSize must be positive, got %d", maxSize)
	}
	limited := io.LimitReader(r, maxSize+1)
	head := make([]byte, domain.ScanSniffLen)
	n, err := io.ReadFull(limited, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Blob{}, fmt.Errorf("blobstore: read upload: %w", err)
	}
	scanType, err := domain.DetectScanType(head[:n])
	if err != nil {
		return Blob{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Blob{}, fmt.Errorf("blobstore: new id: %w", err)
	}
	blob := Blob{ID: id.String(), Type: scanType}

	tmp, err := os.CreateTemp(s.dir, tempPattern)
	if err != nil {
		return Blob{}, fmt.Errorf("blobstore: create upload: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	src := io.MultiReader(bytes.NewReader(head[:n]), limited)
	if s.keys != nil {
		var sum [sha256.Size]byte
		blob.Size, sum, err = s.writeAccount(ctx, tmp, blob, src, maxSize)
		blob.SHA256 = hex.EncodeToString(sum[:])
	} else {
		sum := sha256.New()
		blob.Size, err = s.write(ctx, tmp, blob, io.TeeReader(src, sum), maxSize, sum)
		blob.SHA256 = hex.EncodeToString(sum.Sum(nil))
	}
	if err != nil {
		return Blob{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Blob{}, fmt.Errorf("blobstore: sync upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Blob{}, fmt.Errorf("blobstore: close upload: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path(blob.ID)); err != nil {
		return Blob{}, fmt.Errorf("blobstore: store upload: %w", err)
	}
	ok = true
	if err := syncDir(s.dir); err != nil {
		return Blob{}, err
	}
	return blob, nil
}

// write encrypts src into f: header, a placeholder for the meta block, the
// chunks, then the meta block in its place once size and hash are known.
func (s *FileStore) write(ctx context.Context, f *os.File, blob Blob, src io.Reader, maxSize int64, sum hash.Hash) (int64, error) {
	prefix := make([]byte, prefixSize)
	if _, err := rand.Read(prefix); err != nil {
		return 0, fmt.Errorf("blobstore: nonce prefix: %w", err)
	}
	seal := sealing{aead: s.aead, header: newHeader(prefix), id: blob.ID}
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
	sealedMeta := s.aead.Seal(nil, seal.nonce(0), m.marshal(), seal.aad(kindMeta))
	if _, err := f.WriteAt(sealedMeta, int64(headerSize)); err != nil {
		return 0, fmt.Errorf("blobstore: write upload: %w", err)
	}
	return size, nil
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
	blob, r, err := s.openFile(ctx, f, id)
	if err != nil {
		f.Close()
		return nil, Blob{}, err
	}
	return r, blob, nil
}

func (s *FileStore) openFile(ctx context.Context, f *os.File, id string) (Blob, io.ReadCloser, error) {
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
	if v := start[len(magic)]; v == versionAccount {
		return s.openAccount(ctx, f, id)
	} else if v != version {
		return Blob{}, nil, corrupt("unknown format version %d", v)
	}
	seal := sealing{aead: s.aead, header: start[:headerSize], id: id}
	plain, err := s.aead.Open(nil, seal.nonce(0), start[headerSize:], seal.aad(kindMeta))
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
