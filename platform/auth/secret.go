package auth

import (
	"fmt"
	"path/filepath"

	"github.com/kabinet/kabinet/platform/secrets"
)

// SecretFile is the dev token secret's name inside the data dir.
const SecretFile = "jwt.secret"

// LoadOrCreateSecret returns the HMAC secret in <dataDir>/jwt.secret,
// creating it (32 random bytes, mode 0600; the dir 0700 when missing) on
// first use. An existing file readable or writable by group or others is
// refused rather than trusted: anyone who can read it can mint any role.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	return secrets.LoadOrCreate(filepath.Join(dataDir, SecretFile), "jwt secret", MinSecretBytes)
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
