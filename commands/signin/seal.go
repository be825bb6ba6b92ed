package signin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// sealPrefix marks an authenticator secret sealed with AES-256-GCM.
const sealPrefix = "v1:"

// sealer encrypts authenticator secrets at rest, so that a copy of the
// read store does not hand out second factors. Its key is derived from
// the service's key, bound to this one use.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kabinet signin totp secret seal"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return sealer{}, fmt.Errorf("totp seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("totp seal: %w", err)
	}
	return sealer{aead: aead}, nil
}

// seal encrypts secret for account (bound as additional data, so a sealed
// secret copied to another account's row does not open).
func (s sealer) seal(rnd io.Reader, account, secret string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return "", fmt.Errorf("totp seal nonce: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(secret), []byte(account))
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// open decrypts what seal made; "" opens to "".
func (s sealer) open(account, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", errors.New("totp seal: unknown format")
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("totp seal: malformed")
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, b[:n], b[n:], []byte(account))
	if err != nil {
		return "", fmt.Errorf("totp seal: %w", err)
	}
	return string(pt), nil
}
