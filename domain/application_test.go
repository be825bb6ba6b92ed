package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	appNow      = time.Date(2026, time.April, 15, 9, 0, 0, 0, time.UTC) // Moscow day formToday
	appCal      = NewRussianCalendar()
	migrationID = uuid.MustParse("44444444-4444-4444-8444-444444444444")
	rvpID       = uuid.MustParse("55555555-5555-4555-8555-555555555555")
	appID       = uuid.MustParse("0190b000-0000-7000-8000-000000000001")
	citizen     = Actor{ID: acctID.String(), Role: "citizen"}
	operator    = Actor{ID: operatorID, Role: "operator"}
	gateway     = Actor{ID: "gateway", Role: "payment_gateway"}
	scheduler   = Actor{ID: "system", Role: "system"}
)

// applicantAccount is confirmed (passport, patent) and also holds a
// migration card and an RVP, so it may apply for every service.
func applicantAccount(t *testing.T) *ForeignerAccount {
	t.Helper()
	a := confirmedAccount(t)
	for id, in := range map[uuid.UUID]DocumentInput{
		migrationID: {Kind: DocumentKindStayRight, Type: DocMigrationCard, Series: "4519", Number: "1234567",
			IssuedAt: "2026-04-06", ExpiresAt: "2026-07-05", Issuer: "ФСБ России"},
		rvpID: {Kind: DocumentKindStayRight, Type: DocTemporaryResidencePermit, Number: "77001234",
			IssuedAt: "2026-01-15", ExpiresAt: "2029-01-14", Issuer: "ГУ МВД России по г. Москве"},
	} {
		require.NoError(t, a.AddDocument(in, []ScanRef{sampleScan}, nil, formToday, id, appNow))
	}
	require.Equal(t, LevelConfirmed, a.Level())
	return a
}

// docsFor are the documents a fixture attaches to an application for svc.
func docsFor(svc string) []uuid.UUID {
	switch svc {
	case ServiceCertificate:
		return nil
	case ServiceSnilsIssue:
		return []uuid.UUID{passportID}
	case ServiceArrivalNotification, ServicePatent, ServiceWorkPermit:
		return []uuid.UUID{passportID, migrationID}
	case ServiceResidenceRegistration:
		return []uuid.UUID{passportID, rvpID}
	}
	return []uuid.UUID{passportID, stayID}
}

func submitInput(svc string) SubmitInput {
	return SubmitInput{ApplicationID: appID, Number: "2026-000123", Service: svc,
		Form: validForms()[svc], DocumentIDs: docsFor(svc)}
}

// submitted returns an applicant account with one application for svc.
func submitted(t *testing.T, svc string) *ForeignerAccount {
	t.Helper()
	a := applicantAccount(t)
	require.NoError(t, a.SubmitApplication(submitInput(svc), citizen, appNow, formToday, appCal))
	return a
}

func appState(t *testing.T, a *ForeignerAccount) ApplicationState {
	t.Helper()
	s, ok := a.Application(appID)
	require.True(t, ok)
	return s
}

func TestSubmitApplication_EveryServiceWithItsFixture(t *testing.T) {
	for _, svc := range Catalog() {
		t.Run(svc.Code, func(t *testing.T) {
			a := applicantAccount(t)
			events := newChanges(a, func() {
				require.NoError(t, a.SubmitApplication(submitInput(svc.Code), citizen, appNow, formToday, appCal))
			})
			s := appState(t, a)
			assert.Equal(t, svc.Code, s.Service)
			assert.Equal(t, "2026-000123", s.Number)
			assert.Equal(t, appNow, s.SubmittedAt)
			assert.Equal(t, svc.Fee, s.Fee)
			assert.ElementsMatch(t, docsFor(svc.Code), s.DocumentIDs)
			if svc.Fee.IsZero() {
				assert.Equal(t, []string{"ApplicationSubmitted"}, typesOf(events))
				assert.Equal(t, StatusSubmitted, s.Status)
				assert.Equal(t, "Отправлено", s.StatusLabel)
				assert.Equal(t, appCal.AddWorkingDays(formToday, svc.DeadlineDays), s.Deadline)
			} else {
				assert.Equal(t, []string{"ApplicationSubmitted", "FeeCharged"}, typesOf(events))
				assert.Equal(t, FeeCharged{ApplicationRef: ApplicationRef{appID, citizen.ID, "citizen"},
					Amount: svc.Fee.Amount, Currency: "RUB", OccurredAt: appNow}, events[1])
				assert.Equal(t, StatusAwaitingPayment, s.Status)
				assert.True(t, s.Deadline.IsZero(), "the deadline starts with the payment")
			}
			sub := events[0].(ApplicationSubmitted)
			assert.Equal(t, ApplicationRef{appID, citizen.ID, "citizen"}, sub.ApplicationRef)
			assert.Equal(t, s.Form, sub.Form)
		})
	}
}

func TestSubmitApplication_StoresTheNormalisedForm(t *testing.T) {
	a := submitted(t, ServiceResidenceRegistration)
	assert.Equal(t, "2026-04-01", appState(t, a).Form["move_in_date"], "typed 01.04.2026")
}

func TestSubmitApplication_CertificateIsOpenToASimplifiedAccount(t *testing.T) {
	a := simplifiedAccount(t)
	in := submitInput(ServiceCertificate)
	require.NoError(t, a.SubmitApplication(in, citizen, appNow, formToday, appCal))
	assert.Equal(t, StatusSubmitted, appState(t, a).Status)
}

func TestSubmitApplication_Refusals(t *testing.T) {
	tests := []struct {
		name    string
		account func(*testing.T) *ForeignerAccount
		edit    func(*SubmitInput)
		actor   Actor
		today   Date
		code    string
		field   string
	}{
		{name: "simplified account asks for a patent", account: simplifiedAccount, code: CodeLevelTooLow},
		{name: "standard account asks for an arrival notification", edit: func(in *SubmitInput) { in.Service = ServiceArrivalNotification },
			account: func(t *testing.T) *ForeignerAccount { return standardAccount(t, true) }, code: CodeLevelTooLow},
		{name: "no stay-right document in force", account: confirmedAccount, today: MustDate(2027, time.January, 15), code: CodeNoLegalStay},
		{name: "unknown service", edit: func(in *SubmitInput) { in.Service = "visa" }, code: CodeServiceUnknown, field: "service"},
		{name: "malformed number", edit: func(in *SubmitInput) { in.Number = "2026-123" }, code: CodePattern, field: "number"},
		{name: "no application id", edit: func(in *SubmitInput) { in.ApplicationID = uuid.Nil }, code: CodeRequired, field: "application_id"},
		{name: "no actor", actor: Actor{ID: "", Role: "citizen"}, code: CodeRequired, field: "actor"},
		{name: "invalid form", edit: func(in *SubmitInput) { in.Form["period_months"] = float64(13) }, code: CodeValidation, field: "period_months"},
		{name: "late arrival notification", edit: func(in *SubmitInput) {
			*in = submitInput(ServiceArrivalNotification)
			in.Form["arrival_date"] = "2026-04-03"
		}, code: CodeNotificationLate, field: "arrival_date"},
		{name: "unknown document", edit: func(in *SubmitInput) { in.DocumentIDs = append(in.DocumentIDs, otherDocID) },
			code: CodeDocumentUnknown, field: "document_ids[2]"},
		{name: "expired document", edit: func(in *SubmitInput) {
			*in = submitInput(ServiceCertificate)
			in.DocumentIDs = []uuid.UUID{migrationID}
		},
			today: MustDate(2026, time.July, 6), code: CodeDocumentExpired, field: "document_ids[0]"},
		{name: "migration card missing", edit: func(in *SubmitInput) { in.DocumentIDs = []uuid.UUID{passportID, stayID} },
			code: CodeDocumentsMissing, field: "documents.migration_card"},
		{name: "nothing attached", edit: func(in *SubmitInput) { in.DocumentIDs = nil }, code: CodeDocumentsMissing, field: "documents.identity_document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account, actor, today := applicantAccount, citizen, formToday
			if tt.account != nil {
				account = tt.account
			}
			if tt.actor != (Actor{}) {
				actor = tt.actor
			}
			if !tt.today.IsZero() {
				today = tt.today
			}
			a := account(t)
			in := submitInput(ServicePatent)
			if tt.edit != nil {
				tt.edit(&in)
			}
			before := len(a.Changes())
			err := a.SubmitApplication(in, actor, appNow, today, appCal)
			requireDomainErr(t, err, tt.code, tt.field)
			assert.Len(t, a.Changes(), before, "a refusal records nothing")
			assert.Empty(t, a.Applications())
		})
	}
}

func TestSubmitApplication_RefusalDetails(t *testing.T) {
	a := simplifiedAccount(t)
	de := requireDomainErr(t, a.SubmitApplication(submitInput(ServiceRVP), citizen, appNow, formToday, appCal), CodeLevelTooLow, "")
	assert.Equal(t, map[string]any{"required": "confirmed", "current": "simplified"}, de.Details)

	a = applicantAccount(t)
	in := submitInput(ServiceArrivalNotification)
	in.DocumentIDs = nil
	de = requireDomainErr(t, a.SubmitApplication(in, citizen, appNow, formToday, appCal), CodeDocumentsMissing, "")
	assert.Equal(t, []string{"identity_document", "migration_card"}, de.Details["missing"])

	in = submitInput(ServiceCertificate)
	in.DocumentIDs = []uuid.UUID{otherDocID}
	de = requireDomainErr(t, a.SubmitApplication(in, citizen, appNow, formToday, appCal), CodeDocumentUnknown, "document_ids[0]")
	assert.Equal(t, []string{otherDocID.String()}, de.Details["document_ids"])
}

func TestSubmitApplication_TheSameIDTwiceIsRefused(t *testing.T) {
	a := submitted(t, ServiceCertificate)
	err := a.SubmitApplication(submitInput(ServiceCertificate), citizen, appNow, formToday, appCal)
	requireDomainErr(t, err, CodeApplicationExists, "")
}

func TestSubmitApplication_RepeatedDocumentIDsAreAttachedOnce(t *testing.T) {
	a := applicantAccount(t)
	in := submitInput(ServiceSnilsIssue)
	in.DocumentIDs = []uuid.UUID{passportID, passportID}
	require.NoError(t, a.SubmitApplication(in, citizen, appNow, formToday, appCal))
	assert.Equal(t, []uuid.UUID{passportID}, appState(t, a).DocumentIDs)
}

func TestSubmitApplication_NeedsARegisteredAccountAndACalendar(t *testing.T) {
	err := NewAccountFromHistory(acctID, nil).SubmitApplication(submitInput(ServiceCertificate), citizen, appNow, formToday, appCal)
	requireDomainErr(t, err, CodeAccountNotFound, "")
	assert.Error(t, applicantAccount(t).SubmitApplication(submitInput(ServiceCertificate), citizen, appNow, formToday, nil))
}

func TestApplications_ReadHelpersReturnCopiesInSubmissionOrder(t *testing.T) {
	a := applicantAccount(t)
	second := uuid.MustParse("0190b000-0000-7000-8000-000000000002")
	require.NoError(t, a.SubmitApplication(submitInput(ServiceCertificate), citizen, appNow, formToday, appCal))
	in := submitInput(ServicePatent)
	in.ApplicationID, in.Number = second, "2026-000124"
	require.NoError(t, a.SubmitApplication(in, citizen, appNow.Add(time.Minute), formToday, appCal))

	apps := a.Applications()
	require.Len(t, apps, 2)
	assert.Equal(t, []uuid.UUID{appID, second}, []uuid.UUID{apps[0].ApplicationID, apps[1].ApplicationID})
	assert.Equal(t, map[string]int{StatusSubmitted: 1, StatusAwaitingPayment: 1}, ApplicationCounts(apps))
	assert.Equal(t, apps, a.State().Applications)

	apps[0].Form["kind"] = "stay_status"
	apps[0].History[0].Status = "forged"
	again := appState(t, a)
	assert.Equal(t, "right_to_work", again.Form["kind"])
	assert.Equal(t, StatusSubmitted, again.History[0].Status)

	_, ok := a.Application(uuid.New())
	assert.False(t, ok)
}
