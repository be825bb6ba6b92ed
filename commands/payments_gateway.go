package commands

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// PaymentSignatureHeader carries the gateway's signature of a payment
// callback: "sha256=" and the lowercase hex HMAC-SHA256 of the raw request
// body under the gateway secret.
const PaymentSignatureHeader = "X-Kabinet-Signature"

// PaymentSecretFile is the embedded gateway secret's name in the data dir.
const PaymentSecretFile = "payment.secret"

// MinPaymentSecretBytes is the shortest gateway secret accepted.
const MinPaymentSecretBytes = 32

// PaymentGateway authenticates the payment gateway's callbacks: they carry
// no token, only an HMAC of their body under a secret the gateway and
// Kabinet share.
type PaymentGateway struct {
	secret []byte
}

// NewPaymentGateway builds the verifier over secret (at least
// MinPaymentSecretBytes bytes).
func NewPaymentGateway(secret []byte) (*PaymentGateway, error) {
	if len(secret) < MinPaymentSecretBytes {
		return nil, fmt.Errorf("the payment gateway secret holds %d bytes; at least %d are needed", len(secret), MinPaymentSecretBytes)
	}
	return &PaymentGateway{secret: append([]byte(nil), secret...)}, nil
}

// Sign returns the header value a gateway sends with body.
func (g *PaymentGateway) Sign(body []byte) string {
	return "sha256=" + hex.EncodeToString(g.mac(body))
}

// Verify reports whether header is body's signature. The comparison takes
// the same time whatever the bytes, so a caller learns nothing from it.
func (g *PaymentGateway) Verify(body []byte, header string) bool {
	sig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, g.mac(body))
}

func (g *PaymentGateway) mac(body []byte) []byte {
	m := hmac.New(sha256.New, g.secret)
	m.Write(body)
	return m.Sum(nil)
}

// LoadPaymentSecret returns the gateway secret: envValue
// (KABINET_PAYMENT_SECRET) when set, so that every instance and the gateway
// share it; else the data dir's payment.secret, created on first use (32
// random bytes, mode 0600) like the dev token secret. A file readable or
// writable by group or others is refused: whoever reads it can confirm
// payments.
func LoadPaymentSecret(envValue, dataDir string) ([]byte, error) {
	if envValue != "" {
		if len(envValue) < MinPaymentSecretBytes {
			return nil, fmt.Errorf("KABINET_PAYMENT_SECRET holds %d bytes; at least %d are needed", len(envValue), MinPaymentSecretBytes)
		}
		return []byte(envValue), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir for payment secret: %w", err)
	}
	path := filepath.Join(dataDir, PaymentSecretFile)
	secret, err := loadPaymentSecretFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := createPaymentSecret(path); err != nil {
		return nil, err
	}
	return loadPaymentSecretFile(path)
}

// createPaymentSecret writes a fresh secret into a private temporary file
// and links it into place, so no reader sees half a secret and a secret
// created meanwhile by another process is kept.
func createPaymentSecret(path string) error {
	secret := make([]byte, MinPaymentSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("generate payment secret: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".payment.secret-*") // mode 0600
	if err != nil {
		return fmt.Errorf("create payment secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(secret); err != nil {
		tmp.Close()
		return fmt.Errorf("write payment secret: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync payment secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close payment secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install payment secret: %w", err)
	}
	return nil
}

func loadPaymentSecretFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("payment secret: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("payment secret %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("payment secret %s has mode %04o; allow the owner only (chmod 600)", path, perm)
	}
	secret, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read payment secret: %w", err)
	}
	if len(secret) < MinPaymentSecretBytes {
		return nil, fmt.Errorf("payment secret %s holds %d bytes; at least %d are needed", path, len(secret), MinPaymentSecretBytes)
	}
	return secret, nil
}
