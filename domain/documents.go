package domain

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// Visa kinds (docs/DOMAIN.md §3); a visa must name one.
const (
	VisaShort    = "short"
	VisaLong     = "long"
	VisaMultiple = "multiple"
	VisaStudent  = "student"
	VisaWork     = "work"
)

// Document rules (docs/DOMAIN.md §3).
const (
	// MinTravelDocumentValidityDays is how many days a temporary travel
	// document must still be valid for when it is added.
	MinTravelDocumentValidityDays = 90
	// MaxScansPerDocument bounds the scans of one document.
	MaxScansPerDocument = 20
	maxDocNumberLen     = 30
	maxIssuerLen        = 200
)

// documentTypes lists the types each kind admits.
var documentTypes = map[string]map[string]bool{
	DocumentKindIdentity: {
		DocForeignPassport: true, DocResidencePermit: true, DocTemporaryTravelDocument: true,
		DocRefugeeCertificate: true, DocNationalID: true, DocTemporaryAsylum: true,
	},
	DocumentKindStayRight: {
		DocVisa: true, DocMigrationCard: true, DocTemporaryResidencePermit: true,
		DocResidencePermit: true, DocWorkPermit: true, DocPatent: true, DocStayRegistration: true,
		DocTemporaryAsylum: true,
	},
}

var visaKindList = []string{VisaShort, VisaLong, VisaMultiple, VisaStudent, VisaWork}

// DocumentInput is a document's metadata as typed (the API's `meta` part).
// Dates are DD.MM.YYYY or YYYY-MM-DD. Latin is the holder's name as printed
// in Latin letters, when the document has one: personal data may then
// spell the name that way.
type DocumentInput struct {
	Kind      string     `json:"kind"`
	Type      string     `json:"type"`
	VisaKind  string     `json:"visa_kind,omitempty"`
	Series    string     `json:"series,omitempty"`
	Number    string     `json:"number"`
	IssuedAt  string     `json:"issued_at"`
	ExpiresAt string     `json:"expires_at"`
	Issuer    string     `json:"issuer"`
	Latin     *LatinName `json:"latin,omitempty"`
	// UploadedBy is the staff member putting the document on file for the
	// citizen; the command layer sets it from the token, it is never read
	// from a request body.
	UploadedBy string `json:"-"`
}

// ScanRef describes a scan already in the blob store: what an event keeps.
type ScanRef struct {
	BlobID string   `json:"blob_id"`
	Size   int64    `json:"size"`
	Type   ScanType `json:"type"`
	SHA256 string   `json:"sha256"`
}

// AddDocument validates a document and its uploaded scans on today and puts
// it on file as newID. Field errors come together as validation_failed; a
// single broken rule answers with its own code: document_type_invalid (the
// type does not belong to the kind), document_expired, expires before issue
// (date_order), issued in the future (date_in_future),
// document_validity_too_short (a temporary travel document with fewer than
// 90 days left), scan_required, translation_required (a national id needs
// a notarised translation), file_type and file_too_large for a scan, and
// document_duplicate for a number or id already on file. today is the
// Moscow calendar day of now (MoscowDate), now the event's time. A new
// identity document is an edit of identity data: it cancels a pending
// verification and resets a verified one, as ProvidePersonalData does.
func (a *ForeignerAccount) AddDocument(in DocumentInput, scans []ScanRef, translation *ScanRef, today Date, newID uuid.UUID, now time.Time) error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	if newID == uuid.Nil {
		return fieldError("document_id", CodeRequired, "a document id is required")
	}
	e, err := in.validate(scans, translation, today)
	if err != nil {
		return err
	}
	for _, d := range a.identity.documents {
		if d.DocumentID == newID || (d.Type == e.Type && d.Series == e.Series && d.Number == e.Number) {
			return fieldError("number", CodeDocumentDuplicate, "this document is already on file").
				WithDetail("document_id", d.DocumentID.String())
		}
	}
	e.DocumentID = newID
	e.UploadedBy = strings.TrimSpace(in.UploadedBy)
	e.OccurredAt = now.UTC()
	a.record(e)
	if a.identity.document(newID).state().ProvesIdentity() {
		a.identityEdited(e.OccurredAt)
	}
	return nil
}

// ExpireDocuments records DocumentExpired for every document whose expiry
// date is before today and that is not yet marked; a durable scheduler
// calls it daily with the Moscow day of now. When the level drops (the
// last stay right or identity document went) it also records
// AccountLevelLowered. Running it twice records nothing the second time.
func (a *ForeignerAccount) ExpireDocuments(today Date, now time.Time) error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	before := a.Level()
	expired := false
	for _, d := range a.identity.documents {
		if !d.expired && today.After(d.ExpiresAt) {
			a.record(DocumentExpired{DocumentID: d.DocumentID, OccurredAt: now.UTC()})
			expired = true
		}
	}
	if expired {
		a.noteLevelDrop(before, ReasonLevelDocumentExpired, now)
	}
	return nil
}

// validate checks the metadata and scans and returns the event to record
// (without its id and time).
func (in DocumentInput) validate(scans []ScanRef, translation *ScanRef, today Date) (DocumentAdded, error) {
	var f fieldErrs
	e := DocumentAdded{
		Kind:     strings.TrimSpace(in.Kind),
		Type:     strings.TrimSpace(in.Type),
		VisaKind: strings.TrimSpace(in.VisaKind),
		Series:   f.docNumber("series", in.Series, false),
		Number:   f.docNumber("number", in.Number, true),
		Issuer:   f.text("issuer", in.Issuer, true, maxIssuerLen),
	}
	f.kindAndType(e.Kind, e.Type, e.VisaKind)
	e.IssuedAt = f.date("issued_at", in.IssuedAt)
	e.ExpiresAt = f.date("expires_at", in.ExpiresAt)
	if in.Latin != nil {
		e.Latin = &LatinName{
			Surname:    f.latinName("latin.surname", in.Latin.Surname, true),
			GivenNames: f.latinName("latin.given_names", in.Latin.GivenNames, true),
			Patronymic: f.latinName("latin.patronymic", in.Latin.Patronymic, false),
		}
	}
	if err := f.err(); err != nil {
		return DocumentAdded{}, err
	}
	f.dateRules(e, today)
	e.Scans = f.scans(scans)
	if translation != nil {
		t := f.scan("translation_blob", *translation)
		e.Translation = &t
	} else if e.Type == DocNationalID {
		f.fail("translation_blob", CodeTranslationRequired, "a national id needs a notarised translation into Russian")
	}
	return e, f.err()
}

// kindAndType checks the kind, that the type belongs to it, and the visa kind.
func (f *fieldErrs) kindAndType(kind, typ, visaKind string) {
	types, ok := documentTypes[kind]
	switch {
	case kind == "":
		f.fail("kind", CodeRequired, "kind is required: identity or stay_right")
		return
	case !ok:
		f.fail("kind", CodeEnum, "kind must be identity or stay_right")
		return
	case typ == "":
		f.fail("type", CodeRequired, "type is required")
		return
	case !types[typ]:
		f.fail("type", CodeDocumentTypeInvalid, "a "+kind+" document cannot be of type "+typ)
		return
	}
	switch {
	case typ == DocVisa && visaKind == "":
		f.fail("visa_kind", CodeRequired, "a visa needs its kind: short, long, multiple, student or work")
	case typ == DocVisa && !slices.Contains(visaKindList, visaKind):
		f.fail("visa_kind", CodeEnum, "visa_kind must be short, long, multiple, student or work")
	case typ != DocVisa && visaKind != "":
		f.fail("visa_kind", CodeDocumentTypeInvalid, "only a visa has a visa kind")
	}
}

// dateRules checks the dates against each other and today.
func (f *fieldErrs) dateRules(e DocumentAdded, today Date) {
	switch {
	case e.IssuedAt.After(today):
		f.fail("issued_at", CodeDateInFuture, "the issue date "+e.IssuedAt.Russian()+" is in the future")
	case !e.ExpiresAt.After(e.IssuedAt):
		f.fail("expires_at", CodeDateOrder, "the document must expire after it was issued")
	case e.ExpiresAt.Before(today):
		f.fail("expires_at", CodeDocumentExpired, "the document expired on "+e.ExpiresAt.Russian())
	case e.Type == DocTemporaryTravelDocument && today.DaysUntil(e.ExpiresAt) < MinTravelDocumentValidityDays:
		f.fail("expires_at", CodeDocumentValidityTooShort,
			"a temporary travel document must be valid for at least 90 more days")
	}
}

func (f *fieldErrs) date(field, s string) Date {
	if strings.TrimSpace(s) == "" {
		f.fail(field, CodeRequired, field+" is required")
		return Date{}
	}
	d, err := ParseDate(s)
	if err != nil {
		f.fail(field, CodeDateInvalid, err.(*Error).Message)
	}
	return d
}

// docNumber normalises a series or number: spaces dropped, letters
// upper-cased; only letters, digits and hyphens remain.
func (f *fieldErrs) docNumber(field, s string, required bool) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
			f.fail(field, CodePattern, field+" may contain only letters, digits and hyphens")
			return ""
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	v := b.String()
	switch {
	case v == "" && required:
		f.fail(field, CodeRequired, field+" is required")
	case len([]rune(v)) > maxDocNumberLen:
		f.fail(field, CodeTooLong, field+" is too long")
	}
	return v
}

func (f *fieldErrs) scans(scans []ScanRef) []ScanRef {
	switch {
	case len(scans) == 0:
		f.fail("scans", CodeScanRequired, "attach at least one scan of the document")
		return nil
	case len(scans) > MaxScansPerDocument:
		f.fail("scans", CodeTooLong, "a document takes at most 20 scans")
		return nil
	}
	out := make([]ScanRef, len(scans))
	for i, s := range scans {
		out[i] = f.scan("scans", s)
	}
	return out
}

// scan checks what the blob store reported about an upload.
func (f *fieldErrs) scan(field string, s ScanRef) ScanRef {
	s.SHA256 = strings.ToLower(s.SHA256)
	switch {
	case strings.TrimSpace(s.BlobID) == "":
		f.fail(field, CodeRequired, "a scan needs its blob id")
	case s.Type.IsZero():
		f.fail(field, CodeFileType, "a scan must be a PDF, JPEG or PNG file")
	case s.Size <= 0:
		f.fail(field, CodeFileType, "a scan cannot be empty")
	case s.Size > MaxScanSize:
		f.fail(field, CodeFileTooLarge, "a scan must be at most 5 MiB")
	case !isHex(s.SHA256, 64):
		f.fail(field, CodePattern, "a scan's SHA-256 must be 64 hex digits")
	}
	return s
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
