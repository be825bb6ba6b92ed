package blobstoretest

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/kabinet/kabinet/platform/blobstore"
)

// Owner is the account the contract's scans belong to.
const Owner = "0192d2a4-5c1e-7b3a-9f00-000000000001"

// Keys is an in-memory test double of the personal-data keyring: one
// random AES-256-GCM key per owner, created on first use, destroyed by
// Erase. It is safe for concurrent use.
type Keys struct {
	mu     sync.Mutex
	keys   map[string]cipher.AEAD
	erased map[string]bool
}

var _ blobstore.OwnerKeys = (*Keys)(nil)

// NewKeys returns an empty keyring.
func NewKeys() *Keys {
	return &Keys{keys: map[string]cipher.AEAD{}, erased: map[string]bool{}}
}

// OwnerCipher implements blobstore.OwnerKeys.
func (k *Keys) OwnerCipher(_ context.Context, owner string, create bool) (cipher.AEAD, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.erased[owner] {
		return nil, blobstore.ErrErased
	}
	if a, ok := k.keys[owner]; ok {
		return a, nil
	}
	if !create {
		return nil, fmt.Errorf("%s: %w", owner, blobstore.ErrNoKey)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k.keys[owner] = a
	return a, nil
}

// Erase destroys the owner's key.
func (k *Keys) Erase(owner string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, owner)
	k.erased[owner] = true
}
