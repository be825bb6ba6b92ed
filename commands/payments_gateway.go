package commands

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"strings"

	"github.com/kabinet/kabinet/platform/secrets"
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
	return secrets.FromEnvOrFile("KABINET_PAYMENT_SECRET", envValue,
		filepath.Join(dataDir, PaymentSecretFile), "payment secret", MinPaymentSecretBytes)
}
