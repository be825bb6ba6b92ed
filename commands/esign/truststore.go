package esign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files of the embedded default's test CA in the data dir.
const (
	TestCACertFile = "esign-ca.pem"
	TestCAKeyFile  = "esign-ca.key"
	// testCAName is the test CA's subject: clearly not an accredited CA.
	testCAName = "Kabinet TEST e-signature CA (not accredited)"
)

// LoadTrustStore reads every PEM certificate of the .pem, .crt and .cer
// files in dir: the accredited CAs. A directory with none is an error, so a
// misconfigured service refuses to start rather than trust nothing.
func LoadTrustStore(dir string) (*x509.CertPool, int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("esign trust store: %w", err)
	}
	pool, n := x509.NewCertPool(), 0
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".pem" && ext != ".crt" && ext != ".cer") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, 0, fmt.Errorf("esign trust store: %w", err)
		}
		certs, err := parseCertificates(b)
		if err != nil {
			return nil, 0, fmt.Errorf("esign trust store %s: %w", e.Name(), err)
		}
		for _, c := range certs {
			pool.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("esign trust store %s: no PEM certificates", dir)
	}
	return pool, n, nil
}

func parseCertificates(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out, nil
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// TestCA is the embedded default's certificate authority: created in the
// data dir on first use, trusted only when no trust store is configured,
// and issuing certificates for tests and walkthroughs.
type TestCA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// LoadOrCreateTestCA reads the test CA from dataDir, creating it (the key
// private to the service's user, 0600) when absent.
func LoadOrCreateTestCA(dataDir string) (*TestCA, error) {
	certPath, keyPath := filepath.Join(dataDir, TestCACertFile), filepath.Join(dataDir, TestCAKeyFile)
	ca, err := loadTestCA(certPath, keyPath)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return ca, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("esign test CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(), Subject: pkix.Name{CommonName: testCAName, Organization: []string{"Kabinet"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("esign test CA: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("esign test CA key: %w", err)
	}
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return loadTestCA(certPath, keyPath)
}

func loadTestCA(certPath, keyPath string) (*TestCA, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("esign test CA: %w", err)
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("esign test CA key: %w", err)
	}
	certs, err := parseCertificates(cb)
	if err != nil || len(certs) != 1 {
		return nil, fmt.Errorf("esign test CA %s: not one PEM certificate", certPath)
	}
	blk, _ := pem.Decode(kb)
	if blk == nil {
		return nil, fmt.Errorf("esign test CA key %s: not PEM", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("esign test CA key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("esign test CA key %s: not ECDSA", keyPath)
	}
	return &TestCA{Cert: certs[0], key: ek}, nil
}

// Pool is a trust store holding only the test CA.
func (ca *TestCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue signs a certificate for pub whose subject CN is name (and SN and
// GN its first word and the rest), valid from notBefore to notAfter.
func (ca *TestCA) Issue(name string, pub any, notBefore, notAfter time.Time) (*x509.Certificate, error) {
	words := strings.Fields(name)
	if len(words) == 0 {
		return nil, errors.New("esign: a certificate needs the holder's name")
	}
	subj := pkix.Name{CommonName: strings.Join(words, " "), ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: oidSurname, Value: words[0]},
	}}
	if len(words) > 1 {
		subj.ExtraNames = append(subj.ExtraNames, pkix.AttributeTypeAndValue{Type: oidGivenName, Value: strings.Join(words[1:], " ")})
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(), Subject: subj, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.key)
	if err != nil {
		return nil, fmt.Errorf("esign: issue certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(fmt.Sprintf("esign: crypto/rand: %v", err))
	}
	return n.Add(n, big.NewInt(1))
}

// writeNew writes b to path through a temporary file renamed into place,
// so a reader never sees half a key.
func writeNew(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".esign-*")
	if err != nil {
		return fmt.Errorf("esign: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("esign: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("esign: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("esign: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("esign: %w", err)
	}
	return nil
}
