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

	// snilsBasis and innBasis are the name and birth date the registry
	// checked the linked number against.
	snilsBasis, innBasis personBasis
	// methodLocks: until when a code method may not be requested again.
	methodLocks map[VerificationMethod]time.Time
	// uploaders are the staff who put documents on file for the citizen.
	uploaders map[string]bool
}

// personBasis is what a registry check of SNILS or INN is made against.
type personBasis struct {
	surname, givenNames, patronymic string
	birthDate                       Date
}

func (s *identity) basis() personBasis {
	if s.personal == nil {
		return personBasis{}
	}
	p := s.personal
	return personBasis{p.Surname, p.GivenNames, p.Patronymic, p.BirthDate}
}

// document is one document on file.
type document struct {
	DocumentAdded
	expired bool
}

// verification is the progress of identity verification (docs/DOMAIN.md §4).
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

	challenge          []byte // the e_signature challenge; nil when none
	challengeExpiresAt time.Time
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
		if e.UploadedBy != "" {
			if s.uploaders == nil {
				s.uploaders = map[string]bool{}
			}
			s.uploaders[e.UploadedBy] = true
		}
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
	case IdentityVerificationCancelled:
		*v = verification{status: VerificationNone, resetReason: e.Reason}
	case SignatureChallengeIssued:
		v.challenge, v.challengeExpiresAt = e.Challenge, e.ExpiresAt
	case VerificationMethodLocked:
		if s.methodLocks == nil {
			s.methodLocks = map[VerificationMethod]time.Time{}
		}
		s.methodLocks[e.Method] = e.Until
	case SnilsLinked:
		s.snils, s.snilsBasis = e.Snils, s.basis()
	case InnLinked:
		s.inn, s.innBasis = e.Inn, s.basis()
	case SnilsUnlinked:
		s.snils, s.snilsBasis = Snils{}, personBasis{}
	case InnUnlinked:
		s.inn, s.innBasis = Inn{}, personBasis{}
	case NotificationPreferencesChanged:
		p := e.NotificationPreferences
		s.prefs = &p
	}
}

func (v *verification) decide(status string, reasons []string, comment, by string, at time.Time) {
	v.status, v.reasons, v.comment, v.by, v.decidedAt = status, reasons, comment, by, at
	v.codeHash, v.codeExpiresAt, v.resendAfter, v.attemptsLeft = "", time.Time{}, time.Time{}, 0
	v.challenge, v.challengeExpiresAt = nil, time.Time{}
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
// residence permit (ВНЖ) or a temporary asylum certificate does so
// whichever kind it was filed under.
func (d DocumentState) ProvesIdentity() bool {
	return d.Kind == DocumentKindIdentity || d.Type == DocResidencePermit || d.Type == DocTemporaryAsylum
}

// ProvesStay reports whether the document is a right to stay in Russia. A
// residence permit (ВНЖ) is one whichever kind it was filed under, and so
// are a refugee certificate and a temporary asylum certificate: the status
// is itself a right to stay (docs/DOMAIN.md §1 lists both among those who may
// be confirmed).
func (d DocumentState) ProvesStay() bool {
	return d.Kind == DocumentKindStayRight || d.Type == DocResidencePermit ||
		d.Type == DocRefugeeCertificate || d.Type == DocTemporaryAsylum
}

// IsStayRightDocument reports whether a document of this kind and type is
// a stay-right document as the migration records know it: every
// stay_right document, and a residence permit, refugee or temporary
// asylum certificate filed as an identity document.
func IsStayRightDocument(kind, typ string) bool {
	return DocumentState{Kind: kind, Type: typ}.ProvesStay()
}

// confirmsStay reports whether the document is, on its own, a stay right
// that docs/DOMAIN.md §1 lets reach the confirmed level: a residence permit, a
// temporary residence permit, refugee or temporary asylum status, or a
// student visa. A tourist or business visa and a stay registration are
// not; a worker's migration card needs a patent or work permit beside it
// (see HoldsConfirmableStay).
func (d DocumentState) confirmsStay() bool {
	switch d.Type {
	case DocResidencePermit, DocTemporaryResidencePermit, DocRefugeeCertificate, DocTemporaryAsylum:
		return true
	case DocVisa:
		return d.VisaKind == VisaStudent
	}
	return false
}

// HoldsConfirmableStay reports whether docs, filtered by inForce, hold a
// stay right that opens the confirmed level (docs/DOMAIN.md §1): one document
// that confirmsStay on its own, or a migration card together with a
// patent or a work permit (a worker).
func HoldsConfirmableStay(docs []DocumentState, inForce func(DocumentState) bool) bool {
	card, permit := false, false
	for _, d := range docs {
		if !inForce(d) {
			continue
		}
		switch {
		case d.confirmsStay():
			return true
		case d.Type == DocMigrationCard:
			card = true
		case d.Type == DocPatent || d.Type == DocWorkPermit:
			permit = true
		}
	}
	return card && permit
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

// Level returns the account's level, derived from its events (docs/DOMAIN.md §1)
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

// HasConfirmableStay reports whether the documents in force on today hold
// a stay right that opens the confirmed level (HoldsConfirmableStay).
func (a *ForeignerAccount) HasConfirmableStay(today Date) bool {
	docs := make([]DocumentState, 0, len(a.identity.documents))
	for _, d := range a.identity.documents {
		docs = append(docs, d.state())
	}
	return HoldsConfirmableStay(docs, func(d DocumentState) bool { return d.IsValidOn(today) })
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

// Document kinds (docs/DOMAIN.md §3): what a document proves.
const (
	// DocumentKindIdentity is a document that proves who the person is.
	DocumentKindIdentity = "identity"
	// DocumentKindStayRight is a document that proves the right to stay in Russia.
	DocumentKindStayRight = "stay_right"
)

// Document types (docs/DOMAIN.md §3). residence_permit is both an identity and
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
	// DocTemporaryAsylum is the certificate of temporary asylum
	// (свидетельство о предоставлении временного убежища): both an
	// identity document and a right to stay.
	DocTemporaryAsylum = "temporary_asylum_certificate"
)

// Reasons of AccountLevelLowered.
const (
	ReasonLevelDocumentExpired = "document_expired"
	ReasonLevelSnilsUnlinked   = "snils_unlinked"
)

// noteLevelDrop records AccountLevelLowered when the level is now below
// before; decisions that may take a level's basis away call it last.
func (a *ForeignerAccount) noteLevelDrop(before Level, reason string, now time.Time) {
	if after := a.Level(); !after.AtLeast(before) {
		a.record(AccountLevelLowered{From: before, To: after, Reason: reason, OccurredAt: now.UTC()})
	}
}
