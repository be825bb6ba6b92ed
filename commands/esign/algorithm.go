package esign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/smallstep/pkcs7"
)

// Algorithm is one signature algorithm a qualified certificate may use:
// the seam where GOST R 34.10-2012 (the algorithm of Russian qualified
// certificates) plugs in beside RSA and ECDSA. An implementation says
// which certificates are its own, refuses weak keys and checks a
// signature over the CMS content (already set to the challenge). A GOST
// implementation also needs the CAs' signatures checked with GOST, which
// crypto/x509 does not do: it would then verify the chain itself.
type Algorithm interface {
	// Name is the algorithm's name for logs and errors.
	Name() string
	// Handles reports whether the certificate's key is of this algorithm.
	Handles(cert *x509.Certificate) bool
	// CheckKey refuses keys too weak to accept.
	CheckKey(cert *x509.Certificate) error
	// VerifySignature checks the signer's signature over p7.Content.
	VerifySignature(p7 *pkcs7.PKCS7) error
}

// DefaultAlgorithms are RSA (keys of at least MinRSABits) and ECDSA on P-256.
func DefaultAlgorithms() []Algorithm { return []Algorithm{RSA{}, ECDSAP256{}} }

// MinRSABits is the smallest RSA key accepted.
const MinRSABits = 2048

// RSA is PKCS #1 v1.5 RSA with SHA-2, as openssl cms -sign makes it.
type RSA struct{}

// Name implements Algorithm.
func (RSA) Name() string { return "RSA" }

// Handles implements Algorithm.
func (RSA) Handles(c *x509.Certificate) bool { return c.PublicKeyAlgorithm == x509.RSA }

// CheckKey implements Algorithm: at least MinRSABits.
func (RSA) CheckKey(c *x509.Certificate) error {
	k, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok || k.N.BitLen() < MinRSABits {
		return fmt.Errorf("an RSA key must have at least %d bits", MinRSABits)
	}
	return nil
}

// VerifySignature implements Algorithm with the CMS library (no chain: the
// Verifier builds it with crypto/x509).
func (RSA) VerifySignature(p7 *pkcs7.PKCS7) error { return p7.Verify() }

// ECDSAP256 is ECDSA on the NIST P-256 curve.
type ECDSAP256 struct{}

// Name implements Algorithm.
func (ECDSAP256) Name() string { return "ECDSA P-256" }

// Handles implements Algorithm.
func (ECDSAP256) Handles(c *x509.Certificate) bool { return c.PublicKeyAlgorithm == x509.ECDSA }

// CheckKey implements Algorithm: only P-256.
func (ECDSAP256) CheckKey(c *x509.Certificate) error {
	k, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return fmt.Errorf("an ECDSA key must be on P-256")
	}
	return nil
}

// VerifySignature implements Algorithm.
func (ECDSAP256) VerifySignature(p7 *pkcs7.PKCS7) error { return p7.Verify() }
