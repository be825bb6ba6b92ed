package blobstore

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kabinet/kabinet/domain"
)

// The file format of a blob sealed with its account's data key (version 2):
// one AES-256-GCM seal of the whole scan, which is small (≤ 5 MiB):
//
//	header   magic "KBLB", version 2, 12-byte random nonce              17 bytes
//	sealed   AES-256-GCM(meta ‖ plaintext), meta as in version 1          +16 bytes
//
// The additional data is header ‖ blob id ‖ owner account id, so a file
// moved to another id or another account does not open. Destroying the
// account's key (erasure) makes its scans unreadable. Version 1 files
// (format.go, under the data dir's blob key) still open.
const (
	versionAccount = 2
	nonceSize      = 12
	headerV2Size   = len(magic) + 1 + nonceSize
)

// AccountKeys returns an account's 32-byte data key, creating it on first
// use (pii.Keyring.Key); an erased account's is an error.
type AccountKeys func(ctx context.Context, account string) ([]byte, error)

type ownerKey struct{}

// WithOwner returns ctx naming the account a scan belongs to: a FileStore
// with account keys seals Put under that account's key, and Open needs the
// same owner back.
func WithOwner(ctx context.Context, account string) context.Context {
	return context.WithValue(ctx, ownerKey{}, account)
}

// OwnerFrom returns the account ctx names ("" when none).
func OwnerFrom(ctx context.Context) string {
	s, _ := ctx.Value(ownerKey{}).(string)
	return s
}

// ErrNoOwner: a FileStore with account keys was given a scan without its owner.
var ErrNoOwner = errors.New("blobstore: no owner account on the context")

func (s *FileStore) accountAEAD(ctx context.Context) (cipher.AEAD, string, error) {
	owner := OwnerFrom(ctx)
	if owner == "" {
		return nil, "", ErrNoOwner
	}
	key, err := s.keys(ctx, owner)
	if err != nil {
		return nil, "", fmt.Errorf("blobstore: key of %s: %w", owner, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, "", fmt.Errorf("blobstore: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, "", fmt.Errorf("blobstore: %w", err)
	}
	return aead, owner, nil
}

func aadV2(header []byte, id, owner string) []byte {
	a := append(append([]byte(nil), header...), id...)
	return append(append(a, 0), owner...)
}

// writeAccount reads the whole scan (at most maxSize bytes, refused beyond
// without reading on) and writes it to f in one seal.
func (s *FileStore) writeAccount(ctx context.Context, f *os.File, blob Blob, src io.Reader, maxSize int64) (int64, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	if err := ctx.Err(); err != nil {
		return 0, sum, err
	}
	aead, owner, err := s.accountAEAD(ctx)
	if err != nil {
		return 0, sum, err
	}
	plain, err := io.ReadAll(src)
	if err != nil {
		return 0, sum, fmt.Errorf("blobstore: read upload: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, sum, err
	}
	if int64(len(plain)) > maxSize {
		return 0, sum, domain.NewError(domain.CodeFileTooLarge, "a scan may be at most %s", sizeText(maxSize)).
			WithDetail("max_size", maxSize)
	}
	sum = sha256.Sum256(plain)
	m := meta{size: int64(len(plain)), typeName: blob.Type.String(), sum: sum}
	header := append([]byte(magic), versionAccount)
	header = append(header, make([]byte, nonceSize)...)
	if _, err := rand.Read(header[len(magic)+1:]); err != nil {
		return 0, sum, fmt.Errorf("blobstore: nonce: %w", err)
	}
	body := append(m.marshal(), plain...)
	out := aead.Seal(header, header[len(magic)+1:], body, aadV2(header, blob.ID, owner))
	if _, err := f.Write(out); err != nil {
		return 0, sum, fmt.Errorf("blobstore: write upload: %w", err)
	}
	return m.size, sum, nil
}

// openAccount opens a version 2 file whose first bytes were read into start.
func (s *FileStore) openAccount(ctx context.Context, f *os.File, id string) (Blob, io.ReadCloser, error) {
	if s.keys == nil {
		return Blob{}, nil, corrupt("an account-keyed blob, and this store has no account keys")
	}
	aead, owner, err := s.accountAEAD(ctx)
	if err != nil {
		return Blob{}, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Blob{}, nil, fmt.Errorf("blobstore: read: %w", err)
	}
	all, err := io.ReadAll(f)
	if err != nil {
		return Blob{}, nil, fmt.Errorf("blobstore: read: %w", err)
	}
	if len(all) < headerV2Size+metaPlain+aead.Overhead() {
		return Blob{}, nil, corrupt("file shorter than its header")
	}
	header := all[:headerV2Size]
	body, err := aead.Open(nil, header[len(magic)+1:], all[headerV2Size:], aadV2(header, id, owner))
	if err != nil {
		return Blob{}, nil, corrupt("blob does not authenticate (tampered, another owner, or an erased key)")
	}
	m := unmarshalMeta(body[:metaPlain])
	plain := body[metaPlain:]
	if int64(len(plain)) != m.size || sha256.Sum256(plain) != m.sum {
		return Blob{}, nil, corrupt("size or SHA-256 differs from the recorded one")
	}
	scanType, err := domain.NewScanTypeFromString(m.typeName)
	if err != nil {
		return Blob{}, nil, corrupt("unknown scan type %q", m.typeName)
	}
	f.Close()
	blob := Blob{ID: id, Size: m.size, Type: scanType, SHA256: hex.EncodeToString(m.sum[:])}
	return blob, io.NopCloser(bytes.NewReader(plain)), nil
}
