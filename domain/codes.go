package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
)

// CodeLength is the number of digits in a one-time confirmation code.
const CodeLength = 6

const (
	codeSpace = 1_000_000 // 10^CodeLength
	// codeDrawLimit is the largest multiple of codeSpace that fits in a
	// uint32: draws at or above it are rejected so every code is equally likely.
	codeDrawLimit = (1 << 32) / codeSpace * codeSpace
	// maxCodeDraws bounds rejection sampling; each draw is rejected with
	// probability < 0.0003, so running out means the reader is broken.
	maxCodeDraws = 64
)

// NewCode draws a uniformly random 6-digit code from rnd (crypto/rand.Reader
// in production; a fixed reader in tests). Rejection sampling keeps it free
// of modulo bias.
func NewCode(rnd io.Reader) (string, error) {
	if rnd == nil {
		return "", errors.New("domain: NewCode needs a random source")
	}
	var buf [4]byte
	for range maxCodeDraws {
		if _, err := io.ReadFull(rnd, buf[:]); err != nil {
			return "", fmt.Errorf("domain: reading randomness for a code: %w", err)
		}
		if v := binary.BigEndian.Uint32(buf[:]); v < codeDrawLimit {
			return fmt.Sprintf("%06d", v%codeSpace), nil
		}
	}
	return "", errors.New("domain: random source keeps returning out-of-range values")
}

// CodeHasher turns a one-time code into the only form that is stored. The
// account and channel are bound into the hash so a stored hash is useless
// for any other contact.
type CodeHasher interface {
	HashCode(accountID uuid.UUID, channel Channel, code string) string
}

// MinCodeKeyLen is the shortest HMAC key NewHMACCodeHasher accepts (256 bits).
const MinCodeKeyLen = 32

// HMACCodeHasher hashes codes with HMAC-SHA256 under a server-side key, so
// the six-digit space cannot be brute-forced from a leaked event stream
// without the key. Build it with NewHMACCodeHasher to have the key checked.
type HMACCodeHasher struct {
	Key []byte
}

// NewHMACCodeHasher returns a hasher for key, refusing keys shorter than
// MinCodeKeyLen bytes.
func NewHMACCodeHasher(key []byte) (HMACCodeHasher, error) {
	if len(key) < MinCodeKeyLen {
		return HMACCodeHasher{}, fmt.Errorf("domain: code hashing key must be at least %d bytes, got %d", MinCodeKeyLen, len(key))
	}
	return HMACCodeHasher{Key: append([]byte(nil), key...)}, nil
}

// CodeHashAlg prefixes every stored code hash, naming its algorithm so a
// future change of algorithm can tell old hashes from new ones.
const CodeHashAlg = "hmac-sha256:"

// HashCode returns "hmac-sha256:" + hex(HMAC-SHA256(key, accountID "|"
// channel "|" code)).
func (h HMACCodeHasher) HashCode(accountID uuid.UUID, channel Channel, code string) string {
	m := hmac.New(sha256.New, h.Key)
	m.Write([]byte(accountID.String()))
	m.Write([]byte{'|'})
	m.Write([]byte(channel.String()))
	m.Write([]byte{'|'})
	m.Write([]byte(code))
	return CodeHashAlg + hex.EncodeToString(m.Sum(nil))
}

// codeMatches compares a stored hash with the hash of a presented code in
// constant time, so response timing tells nothing about how close a guess was.
func codeMatches(stored, presented string) bool {
	return hmac.Equal([]byte(stored), []byte(presented))
}

// wellFormedCode reports whether s is exactly CodeLength ASCII digits.
func wellFormedCode(s string) bool {
	if len(s) != CodeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
