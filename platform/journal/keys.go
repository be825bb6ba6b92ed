package journal

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyFile is the name of the signing key file LoadOrCreateKey keeps in the data dir.
const KeyFile = "journal.key"

// algEd25519 is the note key algorithm byte for Ed25519.
const algEd25519 = 1

// LoadOrCreateKey reads the journal's signing key from dataDir/journal.key,
// creating it (mode 0600, key name DefaultOrigin) when missing: the embedded
// mode's key. It returns the signer, its verifier and the verifier key text
// to publish.
func LoadOrCreateKey(dataDir string) (note.Signer, note.Verifier, string, error) {
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		skey, _, gerr := note.GenerateKey(rand.Reader, DefaultOrigin)
		if gerr != nil {
			return nil, nil, "", fmt.Errorf("journal: generate key: %w", gerr)
		}
		if err := writeNewKey(path, skey); err != nil {
			return nil, nil, "", err
		}
		b, err = os.ReadFile(path) // whoever won a race to create it
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("journal: read key: %w", err)
	}
	s, v, vkey, err := ParseKey(string(b))
	if err != nil {
		return nil, nil, "", fmt.Errorf("journal: key file %s: %w", path, err)
	}
	return s, v, vkey, nil
}

// writeNewKey creates path with skey, never overwriting an existing key.
func writeNewKey(path, skey string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("journal: create key dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: create key file: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("journal: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("journal: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("journal: write key file: %w", err)
	}
	return nil
}

// ParseKey parses a note signing key ("PRIVATE+KEY+<name>+<hash>+<base64>",
// as note.GenerateKey makes, e.g. from configuration) and derives its
// verifier and the verifier key text to publish.
func ParseKey(skey string) (note.Signer, note.Verifier, string, error) {
	skey = strings.TrimSpace(skey)
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, "", fmt.Errorf("parse signing key: %w", err)
	}
	// NewSigner checked the format: PRIVATE+KEY+name+hash+base64(alg‖seed),
	// and the base64 may itself hold '+'.
	fields := strings.SplitN(skey, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(fields[len(fields)-1])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != algEd25519 {
		return nil, nil, "", errors.New("parse signing key: not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return nil, nil, "", fmt.Errorf("derive verifier key: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, "", fmt.Errorf("derive verifier: %w", err)
	}
	return signer, verifier, vkey, nil
}
