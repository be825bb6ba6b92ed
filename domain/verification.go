package domain

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// VerificationMethod is how a person's identity is verified (docs/DOMAIN.md §4).
// The zero value is no method.
type VerificationMethod struct {
	s string
}

// The verification methods.
var (
	// MethodServiceCenter: an operator checks the originals at a service centre (МФЦ).
	MethodServiceCenter = VerificationMethod{"service_center"}
	// MethodESignature: a qualified certificate from an accredited CA.
	MethodESignature = VerificationMethod{"e_signature"}
	// MethodBank: a partner bank sends a one-time code the citizen enters.
	MethodBank = VerificationMethod{"bank"}
	// MethodRussianPost: a letter brings a one-time code the citizen enters.
	MethodRussianPost = VerificationMethod{"russian_post"}
	// MethodVideo: an operator checks the person on a video call.
	MethodVideo = VerificationMethod{"video"}
)

var verificationMethods = []VerificationMethod{
	MethodServiceCenter, MethodESignature, MethodBank, MethodRussianPost, MethodVideo,
}

// VerificationMethodFromString parses a method's wire name.
func VerificationMethodFromString(s string) (VerificationMethod, error) {
	for _, m := range verificationMethods {
		if m.s == s {
			return m, nil
		}
	}
	return VerificationMethod{}, fieldError("method", CodeEnum,
		fmt.Sprintf("unknown verification method %q: service_center, e_signature, bank, russian_post or video", s))
}

// IsZero reports whether m is no method.
func (m VerificationMethod) IsZero() bool { return m == VerificationMethod{} }

// String returns the method's wire name.
func (m VerificationMethod) String() string { return m.s }

// MarshalText writes the method's wire name.
func (m VerificationMethod) MarshalText() ([]byte, error) { return []byte(m.s), nil }

// UnmarshalText reads a wire name; empty text is the zero method.
func (m *VerificationMethod) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = VerificationMethod{}
		return nil
	}
	v, err := VerificationMethodFromString(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// byCode reports whether the method ends with the citizen entering a code.
func (m VerificationMethod) byCode() bool { return m == MethodBank || m == MethodRussianPost }

// byOperator reports whether an operator decides the method's outcome.
func (m VerificationMethod) byOperator() bool { return m == MethodServiceCenter || m == MethodVideo }

// codeChannel binds a verification code's hash to its method, so a stored
// hash is useless for a contact or for the other method.
func (m VerificationMethod) codeChannel() Channel { return Channel{"identity_" + m.s} }

// Verification statuses, as AccountState shows them.
const (
	VerificationNone     = "none"
	VerificationPending  = "pending"
	VerificationVerified = "verified"
	VerificationRejected = "rejected"
)

// Verification rules (docs/DOMAIN.md §4).
const (
	// VerificationWorkingDays is the deadline of a request, in working days.
	VerificationWorkingDays = 5
	// VerificationExtendedWorkingDays is the deadline, counted from the
	// request, once extended (which may happen once).
	VerificationExtendedWorkingDays = 10
	// BankCodeTTL is how long a bank's code stays valid: the bank sends it
	// by SMS while the citizen is in its app, like a contact's SMS code.
	BankCodeTTL = 15 * time.Minute
	// RussianPostCodeTTL is how long a code letter stays valid: a letter
	// travels for days, to addresses across Russia.
	RussianPostCodeTTL = 30 * 24 * time.Hour
	// BankCodeResendInterval is the least time between two bank codes.
	BankCodeResendInterval = ResendInterval
	// RussianPostCodeResendInterval is the least time between two letters:
	// a second one sooner would only void the first on its way.
	RussianPostCodeResendInterval = 7 * 24 * time.Hour
	// MethodLockDuration is how long a code method may not be requested
	// again after its codes were entered wrong MaxCodeAttempts times.
	MethodLockDuration = 24 * time.Hour
)

// Moscow is the zone of the portal's calendar days: deadlines count Moscow
// days (UTC+3 all year since 2014).
var Moscow = time.FixedZone("MSK", 3*3600)

// MoscowDate returns the Moscow calendar day of t.
func MoscowDate(t time.Time) Date { return DateOf(t.In(Moscow)) }

// RequestIdentityVerification starts verification by method, due in
// VerificationWorkingDays working days of cal after the Moscow day of now,
// and returns what the citizen needs next, in clear: for bank and
// russian_post a one-time code for the command layer to send through the
// method's own channel (stored only as h's hash); for e_signature the
// challenge to sign (standard base64 of ChallengeSize random bytes, valid
// SignatureChallengeTTL); "" for the operator methods. Asking for
// e_signature again while it is pending issues a fresh challenge, voiding
// the old one. Refused with already_verified, verification_pending (one at
// a time), confirmation_locked (Details method, until, retry_after) for a
// code method whose codes were entered wrong MaxCodeAttempts times in the
// last MethodLockDuration, level_too_low (Details missing: what the
// standard level still lacks), no_legal_stay (no stay right that opens the
// confirmed level, HasConfirmableStay), or a field error on an unknown
// method. A rejected, cancelled or reset verification may be requested
// again.
func (a *ForeignerAccount) RequestIdentityVerification(method VerificationMethod, now time.Time, cal *Calendar, rnd io.Reader, h CodeHasher) (string, error) {
	if cal == nil {
		return "", errors.New("domain: RequestIdentityVerification needs a calendar")
	}
	if (method.byCode() && h == nil) || ((method.byCode() || method == MethodESignature) && rnd == nil) {
		return "", errors.New("domain: a code or signature verification needs a random source (and a code hasher for codes)")
	}
	if !a.registered {
		return "", NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	if method.IsZero() {
		return "", fieldError("method", CodeRequired, "method is required")
	}
	now = now.UTC()
	switch v := a.identity.verification; v.status {
	case VerificationVerified:
		return "", NewError(CodeAlreadyVerified, "the identity is already verified")
	case VerificationPending:
		if method == MethodESignature && v.method == MethodESignature {
			return a.issueChallenge(now, rnd)
		}
		return "", NewError(CodeVerificationPending, "a verification by %s is already pending until %s", v.method, v.deadline.Russian()).
			WithDetail("method", v.method.String()).WithDetail("deadline", v.deadline.String())
	}
	if until := a.identity.methodLocks[method]; now.Before(until) {
		return "", NewError(CodeConfirmationLocked, "%s codes were entered wrong too many times; request %s again after %s",
			method, method, until.Format(time.RFC3339)).
			WithDetail("method", method.String()).WithDetail("until", until.Format(time.RFC3339)).
			WithDetail("retry_after", retryAfter(now, until))
	}
	today := MoscowDate(now)
	if missing := a.missingForStandard(today); len(missing) > 0 {
		return "", NewError(CodeLevelTooLow, "identity verification needs the standard level first; missing: %s", strings.Join(missing, ", ")).
			WithDetail("required", LevelStandard.String()).WithDetail("missing", missing)
	}
	if !a.HasConfirmableStay(today) {
		return "", NewError(CodeNoLegalStay, "add a stay right in force that opens the confirmed level: a residence permit, "+
			"a temporary residence permit, refugee or temporary asylum status, a student visa, or a migration card with a patent or work permit")
	}
	var code string
	if method.byCode() {
		var err error
		if code, err = NewCode(rnd); err != nil {
			return "", err
		}
	}
	a.record(IdentityVerificationRequested{
		Method: method, Deadline: cal.AddWorkingDays(today, VerificationWorkingDays), OccurredAt: now,
	})
	switch {
	case method.byCode():
		a.issueVerificationCode(method, code, now, h)
	case method == MethodESignature:
		return a.issueChallenge(now, rnd)
	}
	return code, nil
}

// missingForStandard names what the standard level still lacks on today:
// confirmed_contact, personal_data, identity_document, snils.
func (a *ForeignerAccount) missingForStandard(today Date) []string {
	missing := []string{}
	if !a.hasConfirmedContact() {
		missing = append(missing, "confirmed_contact")
	}
	if a.identity.personal == nil {
		missing = append(missing, "personal_data")
	}
	hasID := false
	for _, d := range a.identity.documents {
		if s := d.state(); s.ProvesIdentity() && s.IsValidOn(today) {
			hasID = true
		}
	}
	if !hasID {
		missing = append(missing, "identity_document")
	}
	if a.identity.snils.IsZero() {
		missing = append(missing, "snils")
	}
	return missing
}

func (a *ForeignerAccount) hasConfirmedContact() bool {
	for _, c := range a.contacts {
		if c.confirmed {
			return true
		}
	}
	return false
}

func (a *ForeignerAccount) issueVerificationCode(m VerificationMethod, code string, now time.Time, h CodeHasher) {
	ttl, resend := BankCodeTTL, BankCodeResendInterval
	if m == MethodRussianPost {
		ttl, resend = RussianPostCodeTTL, RussianPostCodeResendInterval
	}
	a.record(VerificationCodeIssued{
		Method: m, CodeHash: h.HashCode(a.id, m.codeChannel(), code),
		ExpiresAt: now.Add(ttl), ResendAfter: now.Add(resend), OccurredAt: now,
	})
}

// ResendVerificationCode issues a new code for a pending bank or
// russian_post verification (voiding the old one and restoring the
// attempts) and returns it in clear. Refused with verification_not_pending,
// method_mismatch, or resend_too_soon (Details retry_after) before the
// method's resend interval has passed.
func (a *ForeignerAccount) ResendVerificationCode(now time.Time, rnd io.Reader, h CodeHasher) (string, error) {
	if h == nil || rnd == nil {
		return "", errors.New("domain: ResendVerificationCode needs a random source and a code hasher")
	}
	v, err := a.pendingVerification(MethodBank, MethodRussianPost)
	if err != nil {
		return "", err
	}
	if now.Before(v.resendAfter) {
		return "", NewError(CodeResendTooSoon, "a new code can be requested in %d s", retryAfter(now, v.resendAfter)).
			WithDetail("retry_after", retryAfter(now, v.resendAfter))
	}
	code, err := NewCode(rnd)
	if err != nil {
		return "", err
	}
	a.issueVerificationCode(v.method, code, now.UTC(), h)
	return code, nil
}

// EnterVerificationCode checks the code of a pending bank or russian_post
// verification. A right code records IdentityVerified (by "bank" or
// "russian_post"). A wrong one records VerificationCodeFailed and returns
// code_invalid with attempts_left; the MaxCodeAttempts-th wrong code also
// records IdentityVerificationRejected (data_mismatch, by "system") and
// VerificationMethodLocked: the citizen may request verification again,
// but not by this method for MethodLockDuration. So the caller must save Changes() even when an error is returned.
// Refusals that record nothing: verification_not_pending, method_mismatch,
// code_not_requested, code_expired (ask for a new one with
// ResendVerificationCode) and code_invalid for input that is not six digits.
func (a *ForeignerAccount) EnterVerificationCode(code string, now time.Time, h CodeHasher) error {
	if h == nil {
		return errors.New("domain: EnterVerificationCode needs a code hasher")
	}
	v, err := a.pendingVerification(MethodBank, MethodRussianPost)
	if err != nil {
		return err
	}
	switch {
	case v.codeHash == "":
		return NewError(CodeNoCodeRequested, "no verification code was issued")
	case !now.Before(v.codeExpiresAt):
		return NewError(CodeCodeExpired, "the verification code has expired; request a new one")
	}
	code = strings.TrimSpace(code)
	if !wellFormedCode(code) {
		return fieldError("code", CodeCodeInvalid, "the code is six digits").WithDetail("attempts_left", v.attemptsLeft)
	}
	now = now.UTC()
	if codeMatches(v.codeHash, h.HashCode(a.id, v.method.codeChannel(), code)) {
		a.record(IdentityVerified{Method: v.method, By: v.method.String(), OccurredAt: now})
		return nil
	}
	left := v.attemptsLeft - 1
	a.record(VerificationCodeFailed{AttemptsLeft: left, OccurredAt: now})
	if left > 0 {
		return NewError(CodeCodeInvalid, "wrong code; %d attempts left", left).WithDetail("attempts_left", left)
	}
	a.record(IdentityVerificationRejected{
		Reasons: []string{ReasonDataMismatch}, Comment: "the verification code was entered wrong too many times",
		By: BySystem, OccurredAt: now,
	})
	until := now.Add(MethodLockDuration)
	a.record(VerificationMethodLocked{Method: v.method, Until: until, OccurredAt: now})
	return NewError(CodeCodeInvalid, "wrong code; the verification is rejected and %s may be requested again after %s",
		v.method, until.Format(time.RFC3339)).
		WithDetail("attempts_left", 0).WithDetail("verification", VerificationRejected).
		WithDetail("locked_until", until.Format(time.RFC3339))
}

// ExtendVerificationDeadline moves a pending verification's deadline to
// VerificationExtendedWorkingDays working days after the request's Moscow
// day; it may happen once (extension_used).
func (a *ForeignerAccount) ExtendVerificationDeadline(now time.Time, cal *Calendar) error {
	if cal == nil {
		return errors.New("domain: ExtendVerificationDeadline needs a calendar")
	}
	v, err := a.pendingVerification()
	if err != nil {
		return err
	}
	if v.extended {
		return NewError(CodeExtensionUsed, "the verification deadline was already extended to %s", v.deadline.Russian())
	}
	a.record(VerificationDeadlineExtended{
		NewDeadline: cal.AddWorkingDays(MoscowDate(v.requestedAt), VerificationExtendedWorkingDays),
		OccurredAt:  now.UTC(),
	})
	return nil
}

// pendingVerification returns the pending verification, refusing with
// verification_not_pending, or method_mismatch when methods are given and
// the pending one is not among them.
func (a *ForeignerAccount) pendingVerification(methods ...VerificationMethod) (verification, error) {
	if !a.registered {
		return verification{}, NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	v := a.identity.verification
	if v.status != VerificationPending {
		return v, NewError(CodeVerificationNotPending, "no identity verification is pending")
	}
	if len(methods) == 0 {
		return v, nil
	}
	for _, m := range methods {
		if v.method == m {
			return v, nil
		}
	}
	return v, NewError(CodeMethodMismatch, "the pending verification is by %s", v.method).
		WithDetail("method", v.method.String())
}
