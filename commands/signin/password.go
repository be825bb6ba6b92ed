package signin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are Argon2id's cost parameters. They are stored in every encoded
// hash, so they can be raised later: a hash made with lower ones still
// verifies and is replaced at the next successful sign-in.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// OWASPParams are the Password Storage Cheat Sheet's first Argon2id
// configuration: 19 MiB of memory, 2 passes, 1 lane.
var OWASPParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Hasher hashes and verifies passwords with Argon2id. At most a few hashes
// run at once, so a burst of sign-ins cannot exhaust memory.
type Hasher struct {
	params Params
	slots  chan struct{}
	dummy  string
}

// NewHasher returns a hasher with params and room for concurrent hashes.
func NewHasher(params Params, concurrent int) *Hasher {
	h := &Hasher{params: params, slots: make(chan struct{}, max(concurrent, 1))}
	// The dummy hash is checked for logins that have no password, so that
	// an unknown login costs the same work as a wrong password.
	d, err := h.Hash("dummy password of no account")
	if err != nil {
		panic(fmt.Sprintf("signin: dummy hash: %v", err))
	}
	h.dummy = d
	return h
}

const phcPrefix = "$argon2id$"

var b64 = base64.RawStdEncoding

// Hash returns the PHC-style encoding of a fresh salt and pw's Argon2id
// key: $argon2id$v=19$m=…,t=…,p=…$salt$key.
func (h *Hasher) Hash(pw string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	p := h.params
	key := h.derive(pw, salt, p)
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", phcPrefix, argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func (h *Hasher) derive(pw string, salt []byte, p Params) []byte {
	h.slots <- struct{}{}
	defer func() { <-h.slots }()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Verify reports whether pw matches encoded, and whether encoded was made
// with other parameters than the hasher's (it should be rehashed). An
// encoded string that does not parse is an error.
func (h *Hasher) Verify(encoded, pw string) (ok, rehash bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := h.derive(pw, salt, p)
	ok = subtle.ConstantTimeCompare(got, key) == 1
	rehash = p.Memory != h.params.Memory || p.Time != h.params.Time || p.Threads != h.params.Threads ||
		uint32(len(salt)) != h.params.SaltLen || uint32(len(key)) != h.params.KeyLen
	return ok, rehash, nil
}

// VerifyDummy does the work of one Verify against a hash of no account.
func (h *Hasher) VerifyDummy(pw string) {
	_, _, _ = h.Verify(h.dummy, pw)
}

var errBadHash = errors.New("signin: not an argon2id hash")

func decodeHash(encoded string) (Params, []byte, []byte, error) {
	rest, ok := strings.CutPrefix(encoded, phcPrefix)
	parts := strings.Split(rest, "$")
	if !ok || len(parts) != 4 {
		return Params{}, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[0], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, fmt.Errorf("%w: version %q", errBadHash, parts[0])
	}
	var p Params
	if _, err := fmt.Sscanf(parts[1], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return Params{}, nil, nil, fmt.Errorf("%w: parameters %q", errBadHash, parts[1])
	}
	salt, err := b64.DecodeString(parts[2])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: salt", errBadHash)
	}
	key, err := b64.DecodeString(parts[3])
	if err != nil || len(key) == 0 {
		return Params{}, nil, nil, fmt.Errorf("%w: key", errBadHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
