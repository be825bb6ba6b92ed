package esign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Key types a test certificate may have.
const (
	KeyECDSA = "ecdsa" // ECDSA P-256
	KeyRSA   = "rsa"   // RSA 2048
)

// TestCertificate is a certificate and key written by WriteTestCertificate.
type TestCertificate struct {
	CertPath, KeyPath string
	Cert              *x509.Certificate
}

// WriteTestCertificate issues from ca a certificate for name with a new key
// of keyType, valid from an hour ago for days, and writes cert.pem and
// key.pem (0600) into outDir, which it creates.
func WriteTestCertificate(ca *TestCA, name, keyType string, days int, outDir string) (TestCertificate, error) {
	var key crypto.Signer
	var err error
	switch keyType {
	case KeyECDSA, "":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyRSA:
		key, err = rsa.GenerateKey(rand.Reader, MinRSABits)
	default:
		return TestCertificate{}, fmt.Errorf("esign: key type %q: ecdsa or rsa", keyType)
	}
	if err != nil {
		return TestCertificate{}, fmt.Errorf("esign: generate key: %w", err)
	}
	if days <= 0 {
		return TestCertificate{}, fmt.Errorf("esign: days must be positive")
	}
	now := time.Now()
	cert, err := ca.Issue(name, key.Public(), now.Add(-time.Hour), now.AddDate(0, 0, days))
	if err != nil {
		return TestCertificate{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return TestCertificate{}, fmt.Errorf("esign: encode key: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return TestCertificate{}, fmt.Errorf("esign: %w", err)
	}
	out := TestCertificate{CertPath: filepath.Join(outDir, "cert.pem"), KeyPath: filepath.Join(outDir, "key.pem"), Cert: cert}
	if err := writeNew(out.KeyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return TestCertificate{}, err
	}
	if err := writeNew(out.CertPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		return TestCertificate{}, err
	}
	return out, nil
}
