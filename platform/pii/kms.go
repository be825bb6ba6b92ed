// Package pii keeps personal data at rest encrypted per account (docs/DOMAIN.md
// §11): each account has its own AES-256-GCM data key, stored wrapped by a
// master key behind the KMS port; the codec encrypts the personal fields of
// an event with its account's key before it is stored and decrypts them on
// read, and destroying the key (erasure) leaves those fields unreadable while
// every stored byte, and so every event hash and proof, stays as it was.
package pii

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KMS wraps and unwraps data keys with a master key it never reveals. A
// wrapped key names the master key that wrapped it, so a KMS holding the
// previous master key too can unwrap keys a rotation has not reached yet.
type KMS interface {
	// Wrap encrypts a data key under the current master key, bound to aad.
	Wrap(ctx context.Context, key, aad []byte) ([]byte, error)
	// Unwrap decrypts a wrapped data key; it fails for a key wrapped under a
	// master key it does not hold, or altered, or bound to other aad.
	Unwrap(ctx context.Context, wrapped, aad []byte) ([]byte, error)
	// KeyID names the current master key (what Wrap uses now).
	KeyID() string
}

// LocalKMS is the embedded KMS adapter: master keys held in memory, from
// KABINET_MASTER_KEY or the data dir's master.key. It wraps with the first
// key and unwraps with any of them.
type LocalKMS struct {
	current string
	keys    map[string]cipher.AEAD
}

var _ KMS = (*LocalKMS)(nil)

// keyIDSize is how many bytes of a master key's fingerprint name it.
const keyIDSize = 8

// ErrUnknownMasterKey: a data key was wrapped under a master key this KMS
// does not hold (a rotation was finished elsewhere, or the wrong key is set).
var ErrUnknownMasterKey = errors.New("pii: data key wrapped under an unknown master key")

// NewLocalKMS builds a KMS over master secrets: the first wraps, every one
// unwraps (pass the previous key during a rotation). Each secret, at least
// 32 bytes, is stretched to an AES-256 key with SHA-256.
func NewLocalKMS(current []byte, previous ...[]byte) (*LocalKMS, error) {
	k := &LocalKMS{keys: map[string]cipher.AEAD{}}
	for i, secret := range append([][]byte{current}, previous...) {
		if len(secret) < 32 {
			return nil, fmt.Errorf("pii: master key %d is %d bytes, want at least 32", i, len(secret))
		}
		key := sha256.Sum256(append([]byte("kabinet pii master key\x00"), secret...))
		id := sha256.Sum256(append([]byte("kabinet pii master key id\x00"), key[:]...))
		aead, err := newAEAD(key[:])
		if err != nil {
			return nil, err
		}
		name := hex.EncodeToString(id[:keyIDSize])
		if i == 0 {
			k.current = name
		}
		k.keys[name] = aead
	}
	return k, nil
}

// KeyID implements KMS.
func (k *LocalKMS) KeyID() string { return k.current }

// Wrap implements KMS: key id ‖ nonce ‖ AES-256-GCM(key).
func (k *LocalKMS) Wrap(_ context.Context, key, aad []byte) ([]byte, error) {
	id, _ := hex.DecodeString(k.current)
	aead := k.keys[k.current]
	out := make([]byte, keyIDSize+aead.NonceSize(), keyIDSize+aead.NonceSize()+len(key)+aead.Overhead())
	copy(out, id)
	if _, err := rand.Read(out[keyIDSize:]); err != nil {
		return nil, fmt.Errorf("pii: wrap: nonce: %w", err)
	}
	return aead.Seal(out, out[keyIDSize:], key, aad), nil
}

// Unwrap implements KMS.
func (k *LocalKMS) Unwrap(_ context.Context, wrapped, aad []byte) ([]byte, error) {
	if len(wrapped) < keyIDSize {
		return nil, errors.New("pii: unwrap: wrapped key too short")
	}
	aead, ok := k.keys[hex.EncodeToString(wrapped[:keyIDSize])]
	if !ok {
		return nil, ErrUnknownMasterKey
	}
	body := wrapped[keyIDSize:]
	if len(body) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("pii: unwrap: wrapped key too short")
	}
	key, err := aead.Open(nil, body[:aead.NonceSize()], body[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("pii: unwrap: %w", err)
	}
	return key, nil
}

// WrappedBy names the master key that wrapped a data key ("" when too short).
func WrappedBy(wrapped []byte) string {
	if len(wrapped) < keyIDSize {
		return ""
	}
	return hex.EncodeToString(wrapped[:keyIDSize])
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return aead, nil
}
