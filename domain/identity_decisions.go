package domain

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Rejection reasons of identity verification that applications do not
// share; data_mismatch, document_expired, scan_unreadable, missing_fields
// and no_legal_stay are declared with the application reasons (one name
// for one thing).
const (
	ReasonUnsupportedDocument = "unsupported_document"
	ReasonRegistryMismatch    = "registry_mismatch"
)

// verificationRejectionReasons is the closed list of DOMAIN.md §4.
var verificationRejectionReasons = []string{
	ReasonDataMismatch, ReasonDocumentExpired, ReasonScanUnreadable, ReasonMissingFields,
	ReasonUnsupportedDocument, ReasonNoLegalStay, ReasonRegistryMismatch,
}

// VerificationRejectionReasons lists every reason an identity verification
// may be rejected for.
func VerificationRejectionReasons() []string { return slices.Clone(verificationRejectionReasons) }

// BySystem is the By of decisions the rules make without a person.
const BySystem = "system"

// CertificateInfo is what the command layer read from a qualified
// electronic-signature certificate after checking its chain: the subject's
// name (CN, or surname and given names joined), serial, issuer, validity,
// and whether the issuing CA is accredited.
type CertificateInfo struct {
	SubjectName  string
	SerialNumber string
	Issuer       string
	NotBefore    time.Time
	NotAfter     time.Time
	Accredited   bool
}

// VerifyByESignature decides a pending e_signature verification with the
// certificate presented. It records IdentityVerified when the CA is
// accredited, now lies within the certificate's validity and the subject
// names the person (in Cyrillic or Latin, any word order, case and
// diacritics ignored; a Latin name may leave out the patronymic).
// Otherwise it records IdentityVerificationRejected (by "system") with
// unsupported_document, document_expired and/or data_mismatch and returns
// identity_verification_rejected with those reasons: save Changes() even
// then. Refused without recording: verification_not_pending, method_mismatch.
func (a *ForeignerAccount) VerifyByESignature(cert CertificateInfo, now time.Time) error {
	if _, err := a.pendingVerification(MethodESignature); err != nil {
		return err
	}
	var reasons []string
	if !cert.Accredited {
		reasons = append(reasons, ReasonUnsupportedDocument)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		reasons = append(reasons, ReasonDocumentExpired)
	}
	switch pd := a.identity.personal; {
	case pd == nil:
		reasons = append(reasons, ReasonMissingFields)
	case !subjectNamesPerson(cert.SubjectName, *pd):
		reasons = append(reasons, ReasonDataMismatch)
	}
	now = now.UTC()
	if len(reasons) == 0 {
		a.record(IdentityVerified{
			Method: MethodESignature, By: MethodESignature.String(),
			CertificateSerial: cert.SerialNumber, CertificateIssuer: cert.Issuer, OccurredAt: now,
		})
		return nil
	}
	a.record(IdentityVerificationRejected{
		Reasons: reasons, Comment: "the electronic-signature certificate does not verify this person",
		By: BySystem, OccurredAt: now,
	})
	return NewError(CodeIdentityRejected, "the certificate was not accepted: %s", strings.Join(reasons, ", ")).
		WithDetail("reasons", reasons)
}

// subjectNamesPerson compares a certificate subject with the person's name:
// both sides go through Transliterate (diacritics, case and hyphens evened
// out) and compare as sorted word lists. A Cyrillic subject must give the
// whole Cyrillic name; a Latin one the Latin name, where the patronymic may
// be left out, as Latin documents usually do.
func subjectNamesPerson(subject string, pd PersonalData) bool {
	got := nameWords(subject)
	if len(got) == 0 {
		return false
	}
	candidates := [][]string{nameWords(pd.Surname, pd.GivenNames, pd.Patronymic)}
	if !strings.ContainsFunc(subject, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) {
		candidates = append(candidates,
			nameWords(pd.Latin.Surname, pd.Latin.GivenNames, pd.Latin.Patronymic),
			nameWords(pd.Latin.Surname, pd.Latin.GivenNames))
	}
	for _, c := range candidates {
		if slices.Equal(got, c) {
			return true
		}
	}
	return false
}

// nameWords is the sorted, lower-case, transliterated words of parts.
func nameWords(parts ...string) []string {
	words := strings.Fields(strings.ToLower(strings.ReplaceAll(Transliterate(strings.Join(parts, " ")), "-", " ")))
	slices.Sort(words)
	return words
}

// ApproveIdentity records an operator's verification of the pending
// request: at a service centre or on a video call (the method the operator
// used, which may differ from the one requested — a citizen who asked for a
// letter may still walk into a service centre). Refused with
// method_not_operator for methods the rules decide, already_verified,
// verification_not_pending, and a required operator id.
func (a *ForeignerAccount) ApproveIdentity(method VerificationMethod, operatorID, comment string, now time.Time) error {
	if !method.byOperator() {
		return fieldError("method", CodeMethodNotOperator, "an operator approves only service_center and video verifications")
	}
	if err := a.operatorDecision(operatorID, comment); err != nil {
		return err
	}
	a.record(IdentityVerified{Method: method, By: operatorID, Comment: strings.TrimSpace(comment), OccurredAt: now.UTC()})
	return nil
}

// RejectIdentity records an operator's rejection of the pending request
// with reasons from VerificationRejectionReasons (duplicates dropped) and a comment the
// citizen sees. Refused with reason_invalid (Details reason) for a reason
// outside the list, required when there are none, already_verified and
// verification_not_pending.
func (a *ForeignerAccount) RejectIdentity(reasons []string, comment, operatorID string, now time.Time) error {
	var clean []string
	for _, r := range reasons {
		r = strings.TrimSpace(r)
		if !slices.Contains(verificationRejectionReasons, r) {
			return fieldError("reasons", CodeReasonInvalid, "unknown rejection reason "+r).
				WithDetail("reason", r).WithDetail("allowed", VerificationRejectionReasons())
		}
		if !slices.Contains(clean, r) {
			clean = append(clean, r)
		}
	}
	if len(clean) == 0 {
		return fieldError("reasons", CodeRequired, "give at least one rejection reason")
	}
	if err := a.operatorDecision(operatorID, comment); err != nil {
		return err
	}
	a.record(IdentityVerificationRejected{
		Reasons: clean, Comment: strings.TrimSpace(comment), By: operatorID, OccurredAt: now.UTC(),
	})
	return nil
}

// operatorDecision checks what every operator decision needs.
func (a *ForeignerAccount) operatorDecision(operatorID, comment string) error {
	switch {
	case strings.TrimSpace(operatorID) == "":
		return fieldError("operator_id", CodeRequired, "the deciding operator is required")
	case utf8.RuneCountInString(comment) > maxCommentLen:
		return fieldError("comment", CodeTooLong, "the comment is too long")
	}
	if a.registered && a.identity.verification.status == VerificationVerified {
		return NewError(CodeAlreadyVerified, "the identity is already verified")
	}
	_, err := a.pendingVerification()
	return err
}
