package domain

import (
	"time"

	"github.com/google/uuid"
)

// identityEventTypes are the events of personal data, documents, identity
// verification, SNILS/INN and notification preferences.
var identityEventTypes = []eventType{
	typeOf[PersonalDataProvided](1),
	typeOf[DocumentAdded](1),
	typeOf[DocumentExpired](1),
	typeOf[IdentityVerificationRequested](1),
	typeOf[VerificationCodeIssued](1),
	typeOf[VerificationCodeFailed](1),
	typeOf[VerificationDeadlineExtended](1),
	typeOf[IdentityVerified](1),
	typeOf[IdentityVerificationRejected](1),
	typeOf[IdentityVerificationReset](1),
	typeOf[SnilsLinked](1),
	typeOf[SnilsRejected](1),
	typeOf[InnLinked](1),
	typeOf[InnRejected](1),
	typeOf[NotificationPreferencesChanged](1),
	typeOf[SignatureChallengeIssued](1),
	typeOf[IdentityVerificationCancelled](1),
	typeOf[VerificationMethodLocked](1),
	typeOf[SnilsUnlinked](1),
	typeOf[InnUnlinked](1),
	typeOf[AccountLevelLowered](1),
}

// PersonalDataProvided records the citizen's complete, validated personal
// data (анкета, docs/DOMAIN.md §3); each one replaces the previous whole.
type PersonalDataProvided struct {
	PersonalData
	OccurredAt time.Time `json:"occurred_at"`
}

// DocumentAdded records a validated document put on file with its scans'
// blob references (never their bytes). Latin is the holder's name as
// printed in Latin letters in the document, when given.
type DocumentAdded struct {
	DocumentID  uuid.UUID  `json:"document_id"`
	Kind        string     `json:"kind"`
	Type        string     `json:"type"`
	VisaKind    string     `json:"visa_kind,omitempty"`
	Series      string     `json:"series,omitempty"`
	Number      string     `json:"number"`
	IssuedAt    Date       `json:"issued_at"`
	ExpiresAt   Date       `json:"expires_at"`
	Issuer      string     `json:"issuer"`
	Latin       *LatinName `json:"latin,omitempty"`
	Scans       []ScanRef  `json:"scans"`
	Translation *ScanRef   `json:"translation_blob,omitempty"`
	// UploadedBy is the staff member who put the document on file for the
	// citizen (empty when the citizen did): that operator may not decide
	// the account's identity verification.
	UploadedBy string    `json:"uploaded_by,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// DocumentExpired records that a document's expiry date passed: it no
// longer counts towards the account's level.
type DocumentExpired struct {
	DocumentID uuid.UUID `json:"document_id"`
	OccurredAt time.Time `json:"occurred_at"`
}

// IdentityVerificationRequested records that the citizen asked to have
// their identity verified by Method, to be decided by Deadline (a Moscow
// calendar day, inclusive).
type IdentityVerificationRequested struct {
	Method     VerificationMethod `json:"method"`
	Deadline   Date               `json:"deadline"`
	OccurredAt time.Time          `json:"occurred_at"`
}

// VerificationCodeIssued records that a one-time verification code was sent
// (by the partner bank or in a Russian Post letter); it voids any earlier
// one and restores the attempts. Only the code's hash is kept.
type VerificationCodeIssued struct {
	Method      VerificationMethod `json:"method"`
	CodeHash    string             `json:"code_hash"`
	ExpiresAt   time.Time          `json:"expires_at"`
	ResendAfter time.Time          `json:"resend_after"`
	OccurredAt  time.Time          `json:"occurred_at"`
}

// VerificationCodeFailed records that a wrong verification code was entered.
type VerificationCodeFailed struct {
	AttemptsLeft int       `json:"attempts_left"`
	OccurredAt   time.Time `json:"occurred_at"`
}

// VerificationDeadlineExtended records that the pending verification's
// deadline moved (once) to NewDeadline; the citizen is notified.
type VerificationDeadlineExtended struct {
	NewDeadline Date      `json:"new_deadline"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// IdentityVerified records that the person's identity was verified by
// Method. By is who vouched: the operator's id for service_center and
// video, "bank" or "russian_post" for a code, and "e_signature" for a
// certificate, whose serial and issuer are then kept.
type IdentityVerified struct {
	Method            VerificationMethod `json:"method"`
	By                string             `json:"by"`
	Comment           string             `json:"comment,omitempty"`
	CertificateSerial string             `json:"certificate_serial,omitempty"`
	CertificateIssuer string             `json:"certificate_issuer,omitempty"`
	OccurredAt        time.Time          `json:"occurred_at"`
}

// IdentityVerificationRejected records that the pending verification
// failed for Reasons (docs/DOMAIN.md §4). By is the operator's id, or "system"
// for a decision the rules made (a certificate, exhausted code attempts).
type IdentityVerificationRejected struct {
	Reasons    []string  `json:"reasons"`
	Comment    string    `json:"comment,omitempty"`
	By         string    `json:"by"`
	OccurredAt time.Time `json:"occurred_at"`
}

// IdentityVerificationReset records that a verified identity no longer
// holds (its data was edited) and must be verified again.
type IdentityVerificationReset struct {
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

// SnilsLinked records that the pension-fund registry confirmed the SNILS
// belongs to this person. The number is kept whole; views mask it.
type SnilsLinked struct {
	Snils      Snils     `json:"snils"`
	OccurredAt time.Time `json:"occurred_at"`
}

// SnilsRejected records that the registry did not confirm a SNILS for this
// person; only the masked number is kept, since it may be someone else's.
type SnilsRejected struct {
	SnilsMasked string    `json:"snils_masked"`
	Reason      string    `json:"reason"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// InnLinked records that the tax registry confirmed the INN belongs to this person.
type InnLinked struct {
	Inn        Inn       `json:"inn"`
	OccurredAt time.Time `json:"occurred_at"`
}

// InnRejected records that the tax registry did not confirm an INN for this
// person; only the masked number is kept.
type InnRejected struct {
	InnMasked  string    `json:"inn_masked"`
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

// NotificationPreferencesChanged records the citizen's new notification
// settings (docs/DOMAIN.md §7), whole.
type NotificationPreferencesChanged struct {
	NotificationPreferences
	OccurredAt time.Time `json:"occurred_at"`
}

// SignatureChallengeIssued records the random challenge a pending
// e_signature verification must be signed over, valid until ExpiresAt; a
// new one voids the old. The challenge is a nonce, not a secret: only the
// certificate's private key can sign it.
type SignatureChallengeIssued struct {
	Challenge  []byte    `json:"challenge"`
	ExpiresAt  time.Time `json:"expires_at"`
	OccurredAt time.Time `json:"occurred_at"`
}

// IdentityVerificationCancelled records that a pending verification was
// withdrawn because the identity data it was to check changed (Reason);
// the citizen is notified and may request verification again.
type IdentityVerificationCancelled struct {
	Method     VerificationMethod `json:"method"`
	Reason     string             `json:"reason"`
	OccurredAt time.Time          `json:"occurred_at"`
}

// VerificationMethodLocked records that a code method (bank, russian_post)
// may not be requested again until Until, after its codes were entered
// wrong MaxCodeAttempts times.
type VerificationMethodLocked struct {
	Method     VerificationMethod `json:"method"`
	Until      time.Time          `json:"until"`
	OccurredAt time.Time          `json:"occurred_at"`
}

// SnilsUnlinked records that a linked SNILS no longer matched when the
// pension fund was asked again after the name or birth date changed; only
// the masked number is kept.
type SnilsUnlinked struct {
	SnilsMasked string    `json:"snils_masked"`
	Reason      string    `json:"reason"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// InnUnlinked is SnilsUnlinked for the INN and the tax registry.
type InnUnlinked struct {
	InnMasked  string    `json:"inn_masked"`
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

// AccountLevelLowered records that the account's level dropped from From
// to To because its basis went (Reason: identity_data_changed,
// document_expired, snils_unlinked); the citizen is notified.
type AccountLevelLowered struct {
	From       Level     `json:"from"`
	To         Level     `json:"to"`
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

// EventType implements Event.
func (AccountLevelLowered) EventType() string { return "AccountLevelLowered" }

func (e AccountLevelLowered) occurredAt() time.Time { return e.OccurredAt }

// EventType implements Event.
func (SignatureChallengeIssued) EventType() string { return "SignatureChallengeIssued" }

// EventType implements Event.
func (IdentityVerificationCancelled) EventType() string { return "IdentityVerificationCancelled" }

// EventType implements Event.
func (VerificationMethodLocked) EventType() string { return "VerificationMethodLocked" }

// EventType implements Event.
func (SnilsUnlinked) EventType() string { return "SnilsUnlinked" }

// EventType implements Event.
func (InnUnlinked) EventType() string { return "InnUnlinked" }

func (e SignatureChallengeIssued) occurredAt() time.Time      { return e.OccurredAt }
func (e IdentityVerificationCancelled) occurredAt() time.Time { return e.OccurredAt }
func (e VerificationMethodLocked) occurredAt() time.Time      { return e.OccurredAt }
func (e SnilsUnlinked) occurredAt() time.Time                 { return e.OccurredAt }
func (e InnUnlinked) occurredAt() time.Time                   { return e.OccurredAt }

// EventType implements Event.
func (PersonalDataProvided) EventType() string { return "PersonalDataProvided" }

// EventType implements Event.
func (DocumentAdded) EventType() string { return "DocumentAdded" }

// EventType implements Event.
func (DocumentExpired) EventType() string { return "DocumentExpired" }

// EventType implements Event.
func (IdentityVerificationRequested) EventType() string { return "IdentityVerificationRequested" }

// EventType implements Event.
func (VerificationCodeIssued) EventType() string { return "VerificationCodeIssued" }

// EventType implements Event.
func (VerificationCodeFailed) EventType() string { return "VerificationCodeFailed" }

// EventType implements Event.
func (VerificationDeadlineExtended) EventType() string { return "VerificationDeadlineExtended" }

// EventType implements Event.
func (IdentityVerified) EventType() string { return "IdentityVerified" }

// EventType implements Event.
func (IdentityVerificationRejected) EventType() string { return "IdentityVerificationRejected" }

// EventType implements Event.
func (IdentityVerificationReset) EventType() string { return "IdentityVerificationReset" }

// EventType implements Event.
func (SnilsLinked) EventType() string { return "SnilsLinked" }

// EventType implements Event.
func (SnilsRejected) EventType() string { return "SnilsRejected" }

// EventType implements Event.
func (InnLinked) EventType() string { return "InnLinked" }

// EventType implements Event.
func (InnRejected) EventType() string { return "InnRejected" }

// EventType implements Event.
func (NotificationPreferencesChanged) EventType() string { return "NotificationPreferencesChanged" }

func (e PersonalDataProvided) occurredAt() time.Time           { return e.OccurredAt }
func (e DocumentAdded) occurredAt() time.Time                  { return e.OccurredAt }
func (e DocumentExpired) occurredAt() time.Time                { return e.OccurredAt }
func (e IdentityVerificationRequested) occurredAt() time.Time  { return e.OccurredAt }
func (e VerificationCodeIssued) occurredAt() time.Time         { return e.OccurredAt }
func (e VerificationCodeFailed) occurredAt() time.Time         { return e.OccurredAt }
func (e VerificationDeadlineExtended) occurredAt() time.Time   { return e.OccurredAt }
func (e IdentityVerified) occurredAt() time.Time               { return e.OccurredAt }
func (e IdentityVerificationRejected) occurredAt() time.Time   { return e.OccurredAt }
func (e IdentityVerificationReset) occurredAt() time.Time      { return e.OccurredAt }
func (e SnilsLinked) occurredAt() time.Time                    { return e.OccurredAt }
func (e SnilsRejected) occurredAt() time.Time                  { return e.OccurredAt }
func (e InnLinked) occurredAt() time.Time                      { return e.OccurredAt }
func (e InnRejected) occurredAt() time.Time                    { return e.OccurredAt }
func (e NotificationPreferencesChanged) occurredAt() time.Time { return e.OccurredAt }
