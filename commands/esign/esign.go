// Package esign verifies qualified electronic signatures for identity
// verification (docs/DOMAIN.md §4): a detached CMS SignedData (RFC 5652) over
// the server's challenge, made with the key of a certificate that chains
// to an accredited CA of the trust store and is valid today. It also keeps
// the embedded default's test CA and issues test certificates from it.
//
// Parsing CMS is github.com/smallstep/pkcs7's; chains are crypto/x509's.
// The signature algorithm sits behind Algorithm, so GOST R 34.10-2012 can
// be added beside RSA and ECDSA.
package esign

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/kabinet/kabinet/domain"
)

// MaxSignatureSize bounds a decoded signature: a CMS with a short chain is
// a few kilobytes.
const MaxSignatureSize = 64 << 10

// Verifier checks signatures against a trust store.
type Verifier struct {
	roots      *x509.CertPool
	algorithms []Algorithm
}

// NewVerifier trusts roots (the accredited CAs) and accepts signatures by
// algorithms; none given means DefaultAlgorithms. It panics on nil roots.
func NewVerifier(roots *x509.CertPool, algorithms ...Algorithm) *Verifier {
	if roots == nil {
		panic("esign.NewVerifier: nil roots")
	}
	if len(algorithms) == 0 {
		algorithms = DefaultAlgorithms()
	}
	return &Verifier{roots: roots, algorithms: algorithms}
}

// Verify checks the standard-base64 DER CMS SignedData sig over challenge
// at now and returns its signer's certificate. Refusals are domain errors:
// signature_invalid (not a CMS signature, not over the challenge, not made
// with the certificate's key, or an algorithm or key size not accepted),
// certificate_expired (the signer's or a CA's certificate is not valid at
// now), certificate_untrusted (no chain to the trust store). The subject
// name is the account's to compare.
func (v *Verifier) Verify(sig string, challenge []byte, now time.Time) (domain.SignerCertificate, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	switch {
	case err != nil:
		return domain.SignerCertificate{}, invalid("the signature is not standard base64")
	case len(der) == 0 || len(der) > MaxSignatureSize:
		return domain.SignerCertificate{}, invalid("the signature is empty or too large")
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return domain.SignerCertificate{}, invalid("the signature is not a DER CMS SignedData")
	}
	if len(p7.Signers) != 1 {
		return domain.SignerCertificate{}, invalid("the signature must have exactly one signer")
	}
	if len(p7.Content) > 0 && string(p7.Content) != string(challenge) {
		return domain.SignerCertificate{}, invalid("the signature carries content other than the challenge")
	}
	p7.Content = challenge
	leaf := p7.GetOnlySigner()
	if leaf == nil {
		return domain.SignerCertificate{}, invalid("the signature does not carry its signer's certificate")
	}
	alg := v.algorithmFor(leaf)
	if alg == nil {
		return domain.SignerCertificate{}, invalid("the certificate's key type is not accepted")
	}
	if err := alg.CheckKey(leaf); err != nil {
		return domain.SignerCertificate{}, invalid(err.Error())
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return domain.SignerCertificate{}, domain.NewError(domain.CodeCertificateExpired, "the certificate is valid from %s to %s",
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := alg.VerifySignature(p7); err != nil {
		return domain.SignerCertificate{}, invalid("the signature does not verify over the challenge with the certificate's key")
	}
	if err := v.checkChain(leaf, p7.Certificates, now); err != nil {
		return domain.SignerCertificate{}, err
	}
	return signerCertificate(leaf), nil
}

// checkChain requires the leaf to chain, through the intermediates the
// signature carries, to a root of the trust store, every certificate of
// the chain valid at now.
func (v *Verifier) checkChain(leaf *x509.Certificate, certs []*x509.Certificate, now time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range certs {
		if c != leaf {
			inter.AddCert(c)
		}
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err == nil {
		return nil
	}
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired {
		return domain.NewError(domain.CodeCertificateExpired, "a certificate of the chain is not valid today")
	}
	return domain.NewError(domain.CodeCertificateUntrusted, "the certificate does not chain to an accredited CA")
}

func (v *Verifier) algorithmFor(c *x509.Certificate) Algorithm {
	for _, a := range v.algorithms {
		if a.Handles(c) {
			return a
		}
	}
	return nil
}

func invalid(msg string) error { return domain.NewError(domain.CodeSignatureInvalid, "%s", msg) }

// Subject attributes the name match reads besides the CN (RFC 4519).
var (
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
)

// signerCertificate is what the account needs of the verified certificate.
func signerCertificate(c *x509.Certificate) domain.SignerCertificate {
	return domain.SignerCertificate{
		CommonName: c.Subject.CommonName, Surname: attr(c.Subject, oidSurname), GivenName: attr(c.Subject, oidGivenName),
		SerialNumber: fmt.Sprintf("%X", c.SerialNumber), Issuer: c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
	}
}

func attr(n pkix.Name, oid asn1.ObjectIdentifier) string {
	for _, a := range n.Names {
		if a.Type.Equal(oid) {
			if s, ok := a.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}
