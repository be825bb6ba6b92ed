package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddDocument_RecordsNormalisedDocumentWithScanReferences(t *testing.T) {
	a := simplifiedAccount(t)
	in := passportInput()
	in.Series, in.Number = " fa ", "12 34\u00a0567"
	tr := sampleScan
	tr.BlobID, tr.SHA256 = "tr-1", "AB"+sampleScan.SHA256[2:]
	require.NoError(t, a.AddDocument(in, []ScanRef{sampleScan}, &tr, idToday, passportID, acctT0))

	got := a.Changes()[len(a.Changes())-1].(DocumentAdded)
	wantTr := tr
	wantTr.SHA256 = sampleScan.SHA256
	assert.Equal(t, DocumentAdded{
		DocumentID: passportID, Kind: DocumentKindIdentity, Type: DocForeignPassport,
		Series: "FA", Number: "1234567", IssuedAt: MustDate(2020, 1, 10), ExpiresAt: MustDate(2030, 1, 9),
		Issuer: "MIA Uzbekistan", Scans: []ScanRef{sampleScan}, Translation: &wantTr, OccurredAt: acctT0,
	}, got)

	d, ok := a.Document(passportID)
	require.True(t, ok)
	assert.Equal(t, DocumentState{
		ID: passportID, Kind: DocumentKindIdentity, Type: DocForeignPassport, ExpiresAt: MustDate(2030, 1, 9),
	}, d)
	_, ok = a.Document(stayID)
	assert.False(t, ok)
}

func TestAddDocument_Rules(t *testing.T) {
	tooLarge, noType, badHash, noBlob, empty := sampleScan, sampleScan, sampleScan, sampleScan, sampleScan
	tooLarge.Size = MaxScanSize + 1
	noType.Type = ScanType{}
	badHash.SHA256 = "xyz"
	noBlob.BlobID = ""
	empty.Size = 0
	travel := func(expires string) func(*DocumentInput, *[]ScanRef, **ScanRef) {
		return func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) {
			d.Type, d.IssuedAt, d.ExpiresAt = DocTemporaryTravelDocument, "2026-03-01", expires
		}
	}
	tests := []struct {
		name  string
		edit  func(*DocumentInput, *[]ScanRef, **ScanRef)
		code  string // "" accepts
		field string
	}{
		{"kind is required", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Kind = "" }, CodeRequired, "kind"},
		{"kind is identity or stay_right", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Kind = "other" }, CodeEnum, "kind"},
		{"type is required", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Type = "" }, CodeRequired, "type"},
		{"a patent is not an identity document", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Type = DocPatent }, CodeDocumentTypeInvalid, "type"},
		{"a passport is not a stay right", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Kind = DocumentKindStayRight }, CodeDocumentTypeInvalid, "type"},
		{"unknown types are refused", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Type = "library_card" }, CodeDocumentTypeInvalid, "type"},
		{"a residence permit is both kinds", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) {
			d.Kind, d.Type = DocumentKindStayRight, DocResidencePermit
		}, "", ""},
		{"a visa needs its kind", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) {
			d.Kind, d.Type = DocumentKindStayRight, DocVisa
		}, CodeRequired, "visa_kind"},
		{"a visa kind is from the list", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) {
			d.Kind, d.Type, d.VisaKind = DocumentKindStayRight, DocVisa, "tourist"
		}, CodeEnum, "visa_kind"},
		{"a student visa is accepted", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) {
			d.Kind, d.Type, d.VisaKind = DocumentKindStayRight, DocVisa, VisaStudent
		}, "", ""},
		{"only a visa has a visa kind", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.VisaKind = VisaWork }, CodeDocumentTypeInvalid, "visa_kind"},
		{"number is required", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Number = "  " }, CodeRequired, "number"},
		{"number is letters and digits", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Number = "12/34" }, CodePattern, "number"},
		{"issuer is required", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Issuer = "" }, CodeRequired, "issuer"},
		{"issue date is required", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.IssuedAt = "" }, CodeRequired, "issued_at"},
		{"issue date is a date", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.IssuedAt = "10-01-2020" }, CodeDateInvalid, "issued_at"},
		{"expiry date is required", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.ExpiresAt = "" }, CodeRequired, "expires_at"},
		{"issue date is not in the future", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.IssuedAt = "02.04.2026" }, CodeDateInFuture, "issued_at"},
		{"issued today is fine", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.IssuedAt = "01.04.2026" }, "", ""},
		{"expiry comes after issue", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) {
			d.IssuedAt, d.ExpiresAt = "2020-01-10", "2020-01-10"
		}, CodeDateOrder, "expires_at"},
		{"an expired document is refused", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.ExpiresAt = "31.03.2026" }, CodeDocumentExpired, "expires_at"},
		{"a document expiring today is still valid", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.ExpiresAt = "01.04.2026" }, "", ""},
		{"a travel document needs 90 days left", travel("2026-06-29"), CodeDocumentValidityTooShort, "expires_at"},
		{"a travel document with exactly 90 days left", travel("2026-06-30"), "", ""},
		{"a scan is required", func(_ *DocumentInput, s *[]ScanRef, _ **ScanRef) { *s = nil }, CodeScanRequired, "scans"},
		{"a scan is at most 5 MiB", func(_ *DocumentInput, s *[]ScanRef, _ **ScanRef) { *s = []ScanRef{sampleScan, tooLarge} }, CodeFileTooLarge, "scans"},
		{"a scan is PDF, JPEG or PNG", func(_ *DocumentInput, s *[]ScanRef, _ **ScanRef) { *s = []ScanRef{noType} }, CodeFileType, "scans"},
		{"a scan is not empty", func(_ *DocumentInput, s *[]ScanRef, _ **ScanRef) { *s = []ScanRef{empty} }, CodeFileType, "scans"},
		{"a scan names its blob", func(_ *DocumentInput, s *[]ScanRef, _ **ScanRef) { *s = []ScanRef{noBlob} }, CodeRequired, "scans"},
		{"a scan carries its SHA-256", func(_ *DocumentInput, s *[]ScanRef, _ **ScanRef) { *s = []ScanRef{badHash} }, CodePattern, "scans"},
		{"scans are bounded", func(_ *DocumentInput, s *[]ScanRef, _ **ScanRef) {
			*s = make([]ScanRef, MaxScansPerDocument+1)
		}, CodeTooLong, "scans"},
		{"a national id needs a translation", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) { d.Type = DocNationalID }, CodeTranslationRequired, "translation_blob"},
		{"a national id with a translation", func(d *DocumentInput, _ *[]ScanRef, tr **ScanRef) {
			d.Type = DocNationalID
			s := sampleScan
			*tr = &s
		}, "", ""},
		{"the translation is checked like a scan", func(_ *DocumentInput, _ *[]ScanRef, tr **ScanRef) { *tr = &tooLarge }, CodeFileTooLarge, "translation_blob"},
		{"Latin names in the document are checked", func(d *DocumentInput, _ *[]ScanRef, _ **ScanRef) {
			d.Latin = &LatinName{Surname: "Каримов", GivenNames: "ALISHER"}
		}, CodeNameInvalid, "latin.surname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := simplifiedAccount(t)
			in, scans := passportInput(), []ScanRef{sampleScan}
			var tr *ScanRef
			tt.edit(&in, &scans, &tr)
			got := newChanges(a, func() {
				err := a.AddDocument(in, scans, tr, idToday, passportID, acctT0)
				if tt.code == "" {
					require.NoError(t, err)
					return
				}
				top := CodeValidation
				if !genericFieldCodes[tt.code] {
					top = tt.code
				}
				de := requireDomainErr(t, err, top, tt.field)
				assert.Equal(t, tt.code, de.Fields[0].Code)
			})
			if tt.code == "" {
				assert.Equal(t, []string{"DocumentAdded"}, typesOf(got))
			} else {
				assert.Empty(t, got, "a refusal records nothing")
			}
		})
	}
}

func TestAddDocument_RefusesDuplicatesAndANilID(t *testing.T) {
	a := simplifiedAccount(t)
	require.NoError(t, a.AddDocument(passportInput(), []ScanRef{sampleScan}, nil, idToday, passportID, acctT0))

	requireDomainErr(t, a.AddDocument(passportInput(), []ScanRef{sampleScan}, nil, idToday, otherDocID, acctT0),
		CodeDocumentDuplicate, "number")
	requireDomainErr(t, a.AddDocument(stayInput(), []ScanRef{sampleScan}, nil, idToday, passportID, acctT0),
		CodeDocumentDuplicate, "number")
	requireDomainErr(t, a.AddDocument(stayInput(), []ScanRef{sampleScan}, nil, idToday, uuid.Nil, acctT0),
		CodeRequired, "document_id")
	requireDomainErr(t, NewAccountFromHistory(acctID, nil).AddDocument(stayInput(), []ScanRef{sampleScan}, nil, idToday, stayID, acctT0),
		CodeAccountNotFound, "")
}

func TestExpireDocuments_MarksPastExpiryOnceAndDropsTheLevel(t *testing.T) {
	a := confirmedAccount(t) // passport to 2030-01-09, patent to 2026-12-31
	lastDay, dayAfter := MustDate(2026, 12, 31), MustDate(2027, 1, 1)
	at := dayAfter.Time(Moscow).Add(time.Hour)

	assert.Empty(t, newChanges(a, func() { require.NoError(t, a.ExpireDocuments(lastDay, at)) }),
		"a document is valid through its expiry day")
	assert.True(t, a.HasValidStay(lastDay))
	assert.False(t, a.HasValidStay(dayAfter), "past expiry even before it is marked")
	assert.Equal(t, LevelConfirmed, a.Level(), "the level knows expiry from events only")

	got := newChanges(a, func() { require.NoError(t, a.ExpireDocuments(dayAfter, at)) })
	assert.Equal(t, []Event{
		DocumentExpired{DocumentID: stayID, OccurredAt: at.UTC()},
		AccountLevelLowered{From: LevelConfirmed, To: LevelStandard, Reason: ReasonLevelDocumentExpired, OccurredAt: at.UTC()},
	}, got, "a level drop is a fact the citizen is told about")
	d, _ := a.Document(stayID)
	assert.True(t, d.Expired)
	assert.Equal(t, LevelStandard, a.Level(), "the last stay right expired")
	assert.False(t, a.State().StayValid)

	assert.Empty(t, newChanges(a, func() { require.NoError(t, a.ExpireDocuments(dayAfter.AddDays(1), at)) }), "idempotent")
	requireDomainErr(t, NewAccountFromHistory(acctID, nil).ExpireDocuments(dayAfter, at), CodeAccountNotFound, "")
}

func TestDocumentState_WhatEachDocumentProves(t *testing.T) {
	tests := []struct {
		doc             DocumentState
		identity, stays bool
	}{
		{DocumentState{Kind: DocumentKindIdentity, Type: DocForeignPassport}, true, false},
		{DocumentState{Kind: DocumentKindIdentity, Type: DocResidencePermit}, true, true},
		{DocumentState{Kind: DocumentKindStayRight, Type: DocResidencePermit}, true, true},
		{DocumentState{Kind: DocumentKindIdentity, Type: DocRefugeeCertificate}, true, true},
		{DocumentState{Kind: DocumentKindStayRight, Type: DocMigrationCard}, false, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.identity, tt.doc.ProvesIdentity(), "%s/%s identity", tt.doc.Kind, tt.doc.Type)
		assert.Equal(t, tt.stays, tt.doc.ProvesStay(), "%s/%s stay", tt.doc.Kind, tt.doc.Type)
	}
}
