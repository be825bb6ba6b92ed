package domain

import (
	"github.com/google/uuid"
)

// identityEventTypes are the events of personal data, documents, identity
// verification, SNILS/INN and notification preferences.
var identityEventTypes = []eventType{}

// identity is the account's identity state: personal data, documents,
// verification and identifiers.
type identity struct {
	documents []*DocumentState // in the order they were added
}

// apply folds one identity event; others leave it unchanged.
func (s *identity) apply(e Event) {}

// DocumentState is one document on file as the rest of the domain sees it
// (applications check the documents they cite): no scans, no numbers.
// Expired is set once DocumentExpired was recorded for it; a document may
// also be past ExpiresAt before the scheduler marks it, so callers with a
// date should use IsValidOn.
type DocumentState struct {
	ID        uuid.UUID `json:"document_id"`
	Kind      string    `json:"kind"`
	Type      string    `json:"type"`
	VisaKind  string    `json:"visa_kind,omitempty"`
	ExpiresAt Date      `json:"expires_at"`
	Expired   bool      `json:"expired"`
}

// IsValidOn reports whether the document is still in force on today: not
// marked expired and today is not after its expiry date (a document is
// valid through the day it expires).
func (d DocumentState) IsValidOn(today Date) bool {
	return !d.Expired && !today.After(d.ExpiresAt)
}

// Document returns the document with id on this account, if there is one.
func (a *Account) Document(id uuid.UUID) (DocumentState, bool) {
	for _, d := range a.identity.documents {
		if d.ID == id {
			return *d, true
		}
	}
	return DocumentState{}, false
}

// Level returns the account's level, derived from its events (DOMAIN.md §1)
// through DeriveLevel over State. It knows expiry only through recorded
// DocumentExpired events; HasValidStay answers for a given day.
func (a *Account) Level() Level {
	return DeriveLevel(a.State())
}

// HasValidStay reports whether a stay-right document is in force on today:
// not marked expired and not past its expiry date.
func (a *Account) HasValidStay(today Date) bool {
	for _, d := range a.identity.documents {
		if d.Kind == DocumentKindStayRight && d.IsValidOn(today) {
			return true
		}
	}
	return false
}

// Document kinds (DOMAIN.md §3): what a document proves.
const (
	// DocumentKindIdentity is a document that proves who the person is.
	DocumentKindIdentity = "identity"
	// DocumentKindStayRight is a document that proves the right to stay in Russia.
	DocumentKindStayRight = "stay_right"
)

// Document types (DOMAIN.md §3). residence_permit is both an identity and
// a stay-right document; the kind it is filed under says which it proves.
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
