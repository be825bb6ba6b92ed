package blobstore

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/kabinet/kabinet/domain"
)

// OwnerKeys gives the cipher of a scan owner's data key: the account's
// AES-256-GCM key of the personal-data keyring, so that destroying it
// leaves every scan of the account unreadable.
type OwnerKeys interface {
	// OwnerCipher returns the owner's cipher, creating the owner's key when
	// create is set and there is none. It fails with an error wrapping
	// ErrErased once the owner's key was destroyed.
	OwnerCipher(ctx context.Context, owner string, create bool) (cipher.AEAD, error)
}

// ErrNoKey is what OwnerKeys returns for an owner with no data key (and
// create not set): a scan naming such an owner was not sealed here.
var ErrNoKey = errors.New("blobstore: the owner has no data key")

// ErrErased is returned by Open and Put for a scan whose owner's data key
// was destroyed: the bytes may still be on disk, but nothing can read them.
var ErrErased = errors.New("blobstore: the owner's data key was erased")

// The owner-keyed layout (version 2) seals a scan in one AES-256-GCM
// operation under its owner's data key:
//
//	magic "KBLB", version 2, owner length (1 byte), owner     6+n bytes
//	nonce                                                      12 bytes
//	sealed plaintext with its 16-byte tag
//
// The additional data is magic || version || owner || 0 || blob id, so a
// file moved to another blob's id, or relabelled with another owner, fails
// to authenticate. Size, type and SHA-256 are found again from the
// plaintext, which is authenticated whole before any byte of it is given.
const (
	ownerVersion   = 2
	ownerNonceSize = 12
	maxOwnerLen    = 255
	ownerOverhead  = len(magic) + 2 + maxOwnerLen + ownerNonceSize + tagSize
)

func ownerAAD(owner, id string) []byte {
	a := make([]byte, 0, len(magic)+1+len(owner)+1+len(id))
	a = append(a, magic...)
	a = append(a, ownerVersion)
	a = append(a, owner...)
	a = append(a, 0)
	return append(a, id...)
}

// sealOwned reads the rest of u (refusing more than its limit), seals it
// under owner's key and returns the sealed bytes with the blob's full
// description.
func (c scanCipher) sealOwned(ctx context.Context, owner string, u *upload) ([]byte, Blob, error) {
	if owner == "" || len(owner) > maxOwnerLen {
		return nil, Blob{}, fmt.Errorf("blobstore: owner must be 1 to %d bytes, got %d", maxOwnerLen, len(owner))
	}
	var plain bytes.Buffer
	n, err := io.Copy(&plain, &ctxReader{ctx: ctx, r: u.src})
	if err != nil {
		if ctx.Err() != nil {
			return nil, Blob{}, ctx.Err()
		}
		return nil, Blob{}, fmt.Errorf("blobstore: read upload: %w", err)
	}
	if n > u.maxSize {
		return nil, Blob{}, domain.NewError(domain.CodeFileTooLarge, "a scan may be at most %s", sizeText(u.maxSize)).
			WithDetail("max_size", u.maxSize)
	}
	aead, err := c.keys.OwnerCipher(ctx, owner, true)
	if err != nil {
		return nil, Blob{}, fmt.Errorf("blobstore: key of %s: %w", owner, err)
	}
	blob := u.blob
	blob.Size = n
	blob.SHA256 = hex.EncodeToString(u.sum.Sum(nil))

	out := make([]byte, 0, len(magic)+2+len(owner)+ownerNonceSize+plain.Len()+tagSize)
	out = append(out, magic...)
	out = append(out, ownerVersion, byte(len(owner)))
	out = append(out, owner...)
	nonce := make([]byte, ownerNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, Blob{}, fmt.Errorf("blobstore: nonce: %w", err)
	}
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, plain.Bytes(), ownerAAD(owner, blob.ID))
	return out, blob, nil
}

// openOwned authenticates a version-2 scan whose first bytes (magic and
// version) were already read as head, reading the rest from r.
func (c scanCipher) openOwned(ctx context.Context, head []byte, r io.Reader, id string) (Blob, io.ReadCloser, error) {
	rest, err := io.ReadAll(io.LimitReader(r, domain.MaxScanSize+int64(ownerOverhead)+1))
	if err != nil {
		return Blob{}, nil, fmt.Errorf("blobstore: read: %w", err)
	}
	sealed := append(append([]byte{}, head...), rest...)
	at := len(magic) + 1
	if len(sealed) < at+1 {
		return Blob{}, nil, corrupt("file shorter than its header")
	}
	ownerLen := int(sealed[at])
	at++
	if ownerLen == 0 || len(sealed) < at+ownerLen+ownerNonceSize+tagSize {
		return Blob{}, nil, corrupt("file shorter than its header")
	}
	owner := string(sealed[at : at+ownerLen])
	at += ownerLen
	nonce := sealed[at : at+ownerNonceSize]
	at += ownerNonceSize
	aead, err := c.keys.OwnerCipher(ctx, owner, false)
	if err != nil {
		if errors.Is(err, ErrErased) {
			return Blob{}, nil, err
		}
		if errors.Is(err, ErrNoKey) {
			return Blob{}, nil, corrupt("its owner has no data key (tampered, or sealed elsewhere)")
		}
		return Blob{}, nil, fmt.Errorf("blobstore: key of %s: %w", owner, err)
	}
	plain, err := aead.Open(nil, nonce, sealed[at:], ownerAAD(owner, id))
	if err != nil {
		return Blob{}, nil, corrupt("scan does not authenticate (tampered, moved, or another key)")
	}
	scanType, err := domain.DetectScanType(plain[:min(len(plain), domain.ScanSniffLen)])
	if err != nil {
		return Blob{}, nil, corrupt("authenticated bytes are not a scan")
	}
	sum := sha256.Sum256(plain)
	blob := Blob{ID: id, Size: int64(len(plain)), Type: scanType, SHA256: hex.EncodeToString(sum[:])}
	return blob, io.NopCloser(bytes.NewReader(plain)), nil
}

// ctxReader stops reading once its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
