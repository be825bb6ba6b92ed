package domain

import (
	"time"

	"github.com/google/uuid"
)

// identity is the account's identity state: personal data, documents,
// verification, identifiers and notification preferences. It changes only
// in apply.
type identity struct {
	personal     *PersonalData
	documents    []*document // in the order they were added
	verification verification
	snils        Snils
	inn          Inn
	prefs        *NotificationPreferences // nil: the defaults
}

// document is one document on file.
type document struct {
	DocumentAdded
	expired bool
}

// verification is the progress of identity verification (DOMAIN.md §4).
type verification struct {
	status      string
	method      VerificationMethod
	requestedAt time.Time
	deadline    Date
	extended    bool
	reasons     []string
	comment     string
	by          string
	decidedAt   time.Time
	resetReason string

	codeHash      string // "" when no code is pending
	codeExpiresAt time.Time
	resendAfter   time.Time
	attemptsLeft  int
}

// apply folds one identity event; others leave it unchanged.
func (s *identity) apply(e Event) {
	v := &s.verification
	switch e := e.(type) {
	case PersonalDataProvided:
		pd := e.PersonalData
		s.personal = &pd
	case DocumentAdded:
		s.documents = append(s.documents, &document{DocumentAdded: e})
	case DocumentExpired:
		if d := s.document(e.DocumentID); d != nil {
			d.expired = true
		}
	case IdentityVerificationRequested:
		*v = verification{status: VerificationPending, method: e.Method, requestedAt: e.OccurredAt, deadline: e.Deadline}
	case VerificationCodeIssued:
		v.codeHash, v.codeExpiresAt, v.resendAfter = e.CodeHash, e.ExpiresAt, e.ResendAfter
		v.attemptsLeft = MaxCodeAttempts
	case VerificationCodeFailed:
		v.attemptsLeft = e.AttemptsLeft
	case VerificationDeadlineExtended:
		v.deadline, v.extended = e.NewDeadline, true
	case IdentityVerified:
		v.decide(VerificationVerified, nil, e.Comment, e.By, e.OccurredAt)
		v.method = e.Method
	case IdentityVerificationRejected:
		v.decide(VerificationRejected, e.Reasons, e.Comment, e.By, e.OccurredAt)
	case IdentityVerificationReset:
		*v = verification{status: VerificationNone, resetReason: e.Reason}
	case SnilsLinked:
		s.snils = e.Snils
	case InnLinked:
		s.inn = e.Inn
	case NotificationPreferencesChanged:
		p := e.NotificationPreferences
		s.prefs = &p
	}
}

func (v *verification) decide(status string, reasons []string, comment, by string, at time.Time) {
	v.status, v.reasons, v.comment, v.by, v.decidedAt = status, reasons, comment, by, at
	v.codeHash, v.codeExpiresAt, v.resendAfter, v.attemptsLeft = "", time.Time{}, time.Time{}, 0
}

func (s *identity) document(id uuid.UUID) *document {
	for _, d := range s.documents {
		if d.DocumentID == id {
			return d
		}
	}
	return nil
}

// DocumentState is one document on file as the rest of the domain sees it
// (applications check the documents they cite): no scans, no numbers.
// Expired is set once DocumentExpired was recorded for it; a document may
// be past ExpiresAt before the scheduler marks it, so callers with a date
// should use IsValidOn.
type DocumentState struct {
	ID        uuid.UUID `json:"document_id"`
	Kind      string    `json:"kind"`
	Type      string    `json:"type"`
	VisaKind  string    `json:"visa_kind,omitempty"`
	ExpiresAt Date      `json:"expires_at"`
	Expired   bool      `json:"expired"`
}

// IsValidOn reports whether the document is in force on today: not marked
// expired and today is not after its expiry date (a document is valid
// through the day it expires).
func (d DocumentState) IsValidOn(today Date) bool {
	return !d.Expired && !today.After(d.ExpiresAt)
}

// ProvesIdentity reports whether the document identifies its holder. A
// residence permit (ВНЖ) does so whichever kind it was filed under.
func (d DocumentState) ProvesIdentity() bool {
	return d.Kind == DocumentKindIdentity || d.Type == DocResidencePermit
}

// ProvesStay reports whether the document is a right to stay in Russia. A
// residence permit (ВНЖ) is one whichever kind it was filed under, and so
// is a refugee certificate: refugee status is itself a right to stay
// (DOMAIN.md §1 lists refugees among those who may be confirmed).
func (d DocumentState) ProvesStay() bool {
	return d.Kind == DocumentKindStayRight || d.Type == DocResidencePermit || d.Type == DocRefugeeCertificate
}

func (d *document) state() DocumentState {
	return DocumentState{
		ID: d.DocumentID, Kind: d.Kind, Type: d.Type, VisaKind: d.VisaKind,
		ExpiresAt: d.ExpiresAt, Expired: d.expired,
	}
}

// Document returns the document with id on this account, if there is one.
func (a *ForeignerAccount) Document(id uuid.UUID) (DocumentState, bool) {
	if d := a.identity.document(id); d != nil {
		return d.state(), true
	}
	return DocumentState{}, false
}

// Level returns the account's level, derived from its events (DOMAIN.md §1)
// by DeriveLevel over State. It knows expiry only through recorded
// DocumentExpired events; HasValidStay answers for a given day.
func (a *ForeignerAccount) Level() Level {
	return DeriveLevel(a.State())
}

// HasValidStay reports whether a stay-right document is in force on today:
// not marked expired and not past its expiry date.
func (a *ForeignerAccount) HasValidStay(today Date) bool {
	for _, d := range a.identity.documents {
		if s := d.state(); s.ProvesStay() && s.IsValidOn(today) {
			return true
		}
	}
	return false
}

// PersonalData returns the personal data on file, if any.
func (a *ForeignerAccount) PersonalData() (PersonalData, bool) {
	if a.identity.personal == nil {
		return PersonalData{}, false
	}
	return *a.identity.personal, true
}

// Snils returns the linked SNILS (the zero value when none is linked).
func (a *ForeignerAccount) Snils() Snils { return a.identity.snils }

// Inn returns the linked INN (the zero value when none is linked).
func (a *ForeignerAccount) Inn() Inn { return a.identity.inn }

// Document kinds (DOMAIN.md §3): what a document proves.
const (
	// DocumentKindIdentity is a document that proves who the person is.
	DocumentKindIdentity = "identity"
	// DocumentKindStayRight is a document that proves the right to stay in Russia.
	DocumentKindStayRight = "stay_right"
)

// Document types (DOMAIN.md §3). residence_permit is both an identity and
// a stay-right document, whichever kind it is filed under.
const (
	DocForeignPassport          = "foreign_passport"
	DocResidencePermit          = "residence_permit"
	DocTemporaryTravelDocument  = "temporary_travel_document"
	DocRefugeeCertificate       = "refugee_certificate"
	DocNationalID               = "national_id"
	DocVisa                     = "visa"
	DocMigrationCard            = "migration_card"
	DocTemporaryResidencePermit = "temporary_residence_permit"
	DocWorkPermit               = "work_permit"
	DocPatent                   = "patent"
	DocStayRegistration         = "stay_registration"
)
