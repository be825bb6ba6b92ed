// Package secrets keeps the service's secrets (token, code-hashing and
// payment keys) in private files under the data dir, created on first use,
// or takes them from the environment so several instances share them.
package secrets

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Size is how many random bytes a created secret holds.
const Size = 32

// LoadOrCreate returns the secret in path, creating it (Size random bytes,
// mode 0600; the directory 0700 when missing) on first use. The bytes go to
// a private temporary file that is then linked into place, so a concurrent
// reader never sees half a secret and a secret another process created
// meanwhile is kept. name says what the secret is, in errors.
func LoadOrCreate(path, name string, minBytes int) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", name, err)
	}
	secret, err := Load(path, name, minBytes)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := create(path, name); err != nil {
		return nil, err
	}
	return Load(path, name, minBytes)
}

func create(path, name string) error {
	secret := make([]byte, Size)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("generate %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*") // mode 0600
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(secret); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install %s: %w", name, err)
	}
	return nil
}

// Load reads a secret kept in a file: it must be a regular file without
// group or other permissions (whoever reads it can act with it), holding at
// least minBytes bytes, used as is.
func Load(path, name string, minBytes int) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file", name, path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s %s has mode %04o; allow the owner only (chmod 600)", name, path, perm)
	}
	secret, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(secret) < minBytes {
		return nil, fmt.Errorf("%s %s holds %d bytes; at least %d are needed", name, path, len(secret), minBytes)
	}
	return secret, nil
}

// FromEnvOrFile returns envValue when set (the variable envName, at least
// minBytes bytes, as is), else LoadOrCreate(path).
func FromEnvOrFile(envName, envValue, path, name string, minBytes int) ([]byte, error) {
	if envValue != "" {
		if len(envValue) < minBytes {
			return nil, fmt.Errorf("%s holds %d bytes; at least %d are needed", envName, len(envValue), minBytes)
		}
		return []byte(envValue), nil
	}
	return LoadOrCreate(path, name, minBytes)
}
