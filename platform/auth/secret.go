package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretFile is the dev token secret's name inside the data dir.
const SecretFile = "jwt.secret"

// LoadOrCreateSecret returns the HMAC secret in <dataDir>/jwt.secret,
// creating it (32 random bytes, mode 0600; the dir 0700 when missing) on
// first use. An existing file readable or writable by group or others is
// refused rather than trusted: anyone who can read it can mint any role.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir for jwt secret: %w", err)
	}
	path := filepath.Join(dataDir, SecretFile)
	secret, err := LoadSecretFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := createSecret(path); err != nil {
		return nil, err
	}
	return LoadSecretFile(path)
}

// createSecret writes a fresh secret to path unless one appears meanwhile:
// the bytes go to a private temporary file that is then linked into place,
// so a concurrent reader never sees a half-written secret and a concurrent
// creator's secret is kept, not overwritten.
func createSecret(path string) error {
	secret := make([]byte, MinSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("generate jwt secret: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jwt.secret-*") // mode 0600
	if err != nil {
		return fmt.Errorf("create jwt secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(secret); err != nil {
		tmp.Close()
		return fmt.Errorf("write jwt secret: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync jwt secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close jwt secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install jwt secret: %w", err)
	}
	return nil
}

// LoadSecretFile reads a secret kept in a file (a key-file setting, or the
// dev secret): it must be a regular file without group or other
// permissions, holding at least MinSecretBytes bytes, used as is.
func LoadSecretFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("jwt secret %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("jwt secret %s has mode %04o; allow the owner only (chmod 600)", path, perm)
	}
	secret, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read jwt secret: %w", err)
	}
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("jwt secret %s holds %d bytes; at least %d are needed", path, len(secret), MinSecretBytes)
	}
	return secret, nil
}

// SecretFromEnv turns KABINET_JWT_SECRET's value into the HMAC secret: its
// bytes as they are, at least MinSecretBytes of them, so that several
// instances given the same value accept each other's tokens.
func SecretFromEnv(value string) ([]byte, error) {
	if len(value) < MinSecretBytes {
		return nil, fmt.Errorf("KABINET_JWT_SECRET holds %d bytes; at least %d are needed", len(value), MinSecretBytes)
	}
	return []byte(value), nil
}
