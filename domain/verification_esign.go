package domain

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"
)

// E-signature verification (docs/DOMAIN.md §4): the server issues a challenge,
// the citizen returns a CMS signature over it made with a qualified
// certificate's key. The command layer checks the signature and the
// certificate's chain; the account checks the challenge and the name.
const (
	// ChallengeSize is the length of a signature challenge, in bytes.
	ChallengeSize = 32
	// SignatureChallengeTTL is how long a challenge may be signed.
	SignatureChallengeTTL = 10 * time.Minute
)

// SignerCertificate is the certificate a CMS signature was verified with:
// the command layer fills it only after the signature over the account's
// challenge verified and the certificate chained to an accredited CA.
// CommonName, Surname and GivenName are the subject's CN, SN and GN.
type SignerCertificate struct {
	CommonName   string
	Surname      string
	GivenName    string
	SerialNumber string
	Issuer       string
	NotBefore    time.Time
	NotAfter     time.Time
}

// issueChallenge records a fresh challenge and returns it in standard base64.
func (a *ForeignerAccount) issueChallenge(now time.Time, rnd io.Reader) (string, error) {
	c := make([]byte, ChallengeSize)
	if _, err := io.ReadFull(rnd, c); err != nil {
		return "", fmt.Errorf("domain: read challenge: %w", err)
	}
	a.record(SignatureChallengeIssued{Challenge: c, ExpiresAt: now.Add(SignatureChallengeTTL), OccurredAt: now})
	return base64.StdEncoding.EncodeToString(c), nil
}

// SignatureChallenge returns the challenge a pending e_signature
// verification must be signed over. Refused with verification_not_pending,
// method_mismatch, code_not_requested, or code_expired once its
// SignatureChallengeTTL has passed (request e_signature again for a new one).
func (a *ForeignerAccount) SignatureChallenge(now time.Time) ([]byte, error) {
	v, err := a.pendingVerification(MethodESignature)
	if err != nil {
		return nil, err
	}
	switch {
	case v.challenge == nil:
		return nil, NewError(CodeNoCodeRequested, "no signature challenge was issued")
	case !now.Before(v.challengeExpiresAt):
		return nil, NewError(CodeCodeExpired, "the signature challenge has expired; request e_signature verification again for a new one")
	}
	return append([]byte(nil), v.challenge...), nil
}

// VerifyByESignature decides a pending e_signature verification with the
// certificate whose signature over SignatureChallenge the command layer
// verified. It records IdentityVerified (by "e_signature", with the
// certificate's serial and issuer) when now lies within the certificate's
// validity and its subject names the person (NamesPerson). Refusals record
// nothing and leave the verification pending: verification_not_pending,
// method_mismatch, code_expired (the challenge), certificate_expired and
// certificate_name_mismatch.
func (a *ForeignerAccount) VerifyByESignature(cert SignerCertificate, now time.Time) error {
	if _, err := a.SignatureChallenge(now); err != nil {
		return err
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return NewError(CodeCertificateExpired, "the certificate is valid from %s to %s",
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	pd := a.identity.personal
	if pd == nil || !cert.NamesPerson(*pd) {
		return NewError(CodeCertificateNameMismatch, "the certificate's subject does not name the account's person")
	}
	a.record(IdentityVerified{
		Method: MethodESignature, By: MethodESignature.String(),
		CertificateSerial: cert.SerialNumber, CertificateIssuer: cert.Issuer, OccurredAt: now.UTC(),
	})
	return nil
}

// NamesPerson reports whether the certificate's subject is the person of
// pd, in Russian: the CN is "Фамилия Имя Отчество", or SN is the surname
// and GN the given names and patronymic, compared case- and
// ё/е-insensitively with runs of spaces made one.
func (c SignerCertificate) NamesPerson(pd PersonalData) bool {
	full := normalizeRussianName(pd.Surname + " " + pd.GivenNames + " " + pd.Patronymic)
	if full == "" {
		return false
	}
	if cn := normalizeRussianName(c.CommonName); cn == full {
		return true
	}
	sn, gn := normalizeRussianName(c.Surname), normalizeRussianName(c.GivenName)
	return sn != "" && sn == normalizeRussianName(pd.Surname) &&
		gn == normalizeRussianName(pd.GivenNames+" "+pd.Patronymic)
}

// normalizeRussianName lower-cases s, writes ё as е and joins its words
// with single spaces.
func normalizeRussianName(s string) string {
	s = strings.NewReplacer("ё", "е", "Ё", "е").Replace(strings.ToLower(s))
	return strings.Join(strings.Fields(s), " ")
}
