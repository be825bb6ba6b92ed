package domain

import (
	"slices"
	"strings"
	"time"
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

// verificationRejectionReasons is the closed list of docs/DOMAIN.md §4.
var verificationRejectionReasons = []string{
	ReasonDataMismatch, ReasonDocumentExpired, ReasonScanUnreadable, ReasonMissingFields,
	ReasonUnsupportedDocument, ReasonNoLegalStay, ReasonRegistryMismatch,
}

// VerificationRejectionReasons lists every reason an identity verification
// may be rejected for.
func VerificationRejectionReasons() []string { return slices.Clone(verificationRejectionReasons) }

// BySystem is the By of decisions the rules make without a person.
const BySystem = "system"

// ApproveIdentity records an operator's verification of the pending
// request, by the method pending: a service centre or a video call. Refused
// with method_not_operator for methods the rules decide, method_mismatch
// (Details method: the pending one) when another method is pending,
// verification_not_pending, already_verified, four_eyes_required when the
// operator put documents of this account on file themselves (another
// operator must decide), and a required operator id.
func (a *ForeignerAccount) ApproveIdentity(method VerificationMethod, operatorID, comment string, now time.Time) error {
	if !method.byOperator() {
		return fieldError("method", CodeMethodNotOperator, "an operator approves only service_center and video verifications")
	}
	if err := a.operatorDecision(operatorID, comment); err != nil {
		return err
	}
	if _, err := a.pendingVerification(method); err != nil {
		return err
	}
	a.record(IdentityVerified{Method: method, By: operatorID, Comment: strings.TrimSpace(comment), OccurredAt: now.UTC()})
	return nil
}

// RejectIdentity records an operator's rejection of the pending request
// with reasons from VerificationRejectionReasons (duplicates dropped) and a comment the
// citizen sees. Refused with reason_invalid (Details reason) for a reason
// outside the list, required when there are none, already_verified,
// verification_not_pending and four_eyes_required (as ApproveIdentity).
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
	if _, err := a.pendingVerification(); err != nil {
		return err
	}
	if a.identity.uploaders[strings.TrimSpace(operatorID)] {
		return NewError(CodeFourEyesRequired,
			"you put documents of this account on file yourself: another operator must decide its verification")
	}
	return nil
}
