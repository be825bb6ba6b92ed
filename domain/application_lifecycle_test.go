package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPayFee_AcceptsAndStartsTheDeadline(t *testing.T) {
	a := submitted(t, ServicePatent)
	payday := MustDate(2026, time.April, 17)
	require.NoError(t, a.PayFee(appID, 420000, "RUB", "tx-1", gateway, appNow.Add(48*time.Hour), payday, appCal))
	s := appState(t, a)
	assert.Equal(t, StatusAccepted, s.Status)
	assert.Equal(t, appCal.AddWorkingDays(payday, 10), s.Deadline)
	assert.Equal(t, []Payment{{Amount: 420000, Currency: "RUB", TransactionID: "tx-1", At: appNow.Add(48 * time.Hour)}}, s.Payments)
	last := s.History[len(s.History)-1]
	assert.Equal(t, StatusChange{Status: StatusAccepted, At: appNow.Add(48 * time.Hour), By: "gateway", ByRole: "payment_gateway", Event: "FeePaid"}, last)
}

func TestPayFee_WrongAmountOrCurrencyIsRefused(t *testing.T) {
	for name, tt := range map[string]struct {
		amount   int64
		currency string
	}{
		"roubles instead of kopecks": {4200, "RUB"},
		"too much":                   {420001, "RUB"},
		"wrong currency":             {420000, "USD"},
	} {
		t.Run(name, func(t *testing.T) {
			a := submitted(t, ServicePatent)
			before := len(a.Changes())
			de := requireDomainErr(t, a.PayFee(appID, tt.amount, tt.currency, "tx-1", gateway, appNow, formToday, appCal), CodePaymentAmountMismatch, "")
			assert.Equal(t, int64(420000), de.Details["expected_amount"])
			assert.Equal(t, tt.amount, de.Details["amount"])
			assert.Equal(t, "4 200 руб. 00 коп.", de.Details["expected"], "amounts in roubles and kopecks")
			assert.Contains(t, de.Message, "the fee is 4 200 руб. 00 коп.")
			assert.Len(t, a.Changes(), before)
			assert.Equal(t, StatusAwaitingPayment, appState(t, a).Status)
		})
	}
}

func TestMoney_DisplayIsRoublesAndKopecks(t *testing.T) {
	for amount, want := range map[int64]string{
		0: "0 руб. 00 коп.", 5: "0 руб. 05 коп.", 4200: "42 руб. 00 коп.", 420001: "4 200 руб. 01 коп.",
		123456789: "1 234 567 руб. 89 коп.", -150: "-1 руб. 50 коп.",
	} {
		assert.Equal(t, want, Money{Amount: amount, Currency: CurrencyRUB}.Display(), amount)
	}
	assert.Equal(t, "420000 (minor units) USD", Money{Amount: 420000, Currency: "USD"}.Display())
}

func TestPayFee_SameTransactionAgainRecordsNothing(t *testing.T) {
	a := submitted(t, ServicePatent)
	require.NoError(t, a.PayFee(appID, 420000, "RUB", "tx-1", gateway, appNow, formToday, appCal))
	before := len(a.Changes())
	require.NoError(t, a.PayFee(appID, 420000, "RUB", " tx-1 ", gateway, appNow.Add(time.Hour), formToday, appCal))
	require.NoError(t, a.PayFee(appID, 1, "XXX", "tx-1", gateway, appNow.Add(time.Hour), formToday, appCal), "a repeat is judged by its id alone")
	assert.Len(t, a.Changes(), before)
	assert.Len(t, appState(t, a).Payments, 1)

	requireDomainErr(t, a.PayFee(appID, 420000, "RUB", "tx-2", gateway, appNow, formToday, appCal), CodeInvalidTransition, "")
	requireDomainErr(t, a.PayFee(appID, 420000, "RUB", " ", gateway, appNow, formToday, appCal), CodeRequired, "transaction_id")
}

func TestTimeoutClarification_OnlyAfterTheDueDay(t *testing.T) {
	a := accountIn(t, StatusClarificationRequested)
	due := appState(t, a).ClarificationDue
	require.Equal(t, formToday.AddDays(7), due)
	for _, day := range []Date{formToday, due} {
		de := requireDomainErr(t, a.TimeoutClarification(appID, scheduler, appNow, day), CodeClarificationNotDue, "")
		assert.Equal(t, due.String(), de.Details["due"])
	}
	events := newChanges(a, func() {
		require.NoError(t, a.TimeoutClarification(appID, scheduler, appNow, due.AddDays(1)))
	})
	require.Len(t, events, 1)
	rej := events[0].(ApplicationRejected)
	assert.True(t, rej.Timeout)
	assert.Equal(t, []string{ReasonClarificationTimeout}, rej.Reasons)
	s := appState(t, a)
	assert.Equal(t, StatusRejected, s.Status)
	assert.True(t, s.ClarificationDue.IsZero())
	assert.Equal(t, "system", s.History[len(s.History)-1].ByRole)
}

func TestProvideClarification_AddsDocumentsAndReturnsToReview(t *testing.T) {
	a := accountIn(t, StatusClarificationRequested)
	requireDomainErr(t, a.ProvideClarification(appID, " ", nil, citizen, appNow, formToday, appCal), CodeValidation, "comment")
	requireDomainErr(t, a.ProvideClarification(appID, "", []uuid.UUID{otherDocID}, citizen, appNow, formToday, appCal), CodeDocumentUnknown, "document_ids[0]")
	require.NoError(t, a.ProvideClarification(appID, "", []uuid.UUID{passportID}, citizen, appNow, formToday, appCal))
	s := appState(t, a)
	assert.Equal(t, StatusInReview, s.Status)
	assert.Equal(t, []uuid.UUID{passportID}, s.DocumentIDs)
	assert.True(t, s.ClarificationDue.IsZero())
}

func TestRequestClarification_NeedsACommentAndALaterDueDay(t *testing.T) {
	a := accountIn(t, StatusInReview)
	requireDomainErr(t, a.RequestClarification(appID, "", formToday.AddDays(3), operator, appNow, formToday), CodeValidation, "comment")
	requireDomainErr(t, a.RequestClarification(appID, "?", formToday, operator, appNow, formToday), CodeValidation, "due")
	requireDomainErr(t, a.RequestClarification(appID, "?", Date{}, operator, appNow, formToday), CodeValidation, "due")
}

func TestRejectApplication_ReasonsAreAClosedList(t *testing.T) {
	tests := []struct {
		name    string
		reasons []string
		comment string
		missing []string
		field   string
	}{
		{"no reason", nil, "x", nil, "reasons"},
		{"unknown reason", []string{"ugly_photo"}, "x", nil, "reasons[0]"},
		{"the scheduler's reason", []string{ReasonClarificationTimeout}, "x", nil, "reasons[0]"},
		{"other needs a comment", []string{ReasonOther}, " ", nil, "comment"},
		{"missing documents must be named", []string{ReasonDocumentsMissing}, "", nil, "missing_documents"},
		{"blank missing document", []string{ReasonDataMismatch}, "", []string{""}, "missing_documents[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := accountIn(t, StatusInReview)
			requireDomainErr(t, a.RejectApplication(appID, tt.reasons, tt.comment, tt.missing, operator, appNow), CodeValidation, tt.field)
		})
	}
	assert.Contains(t, RejectionReasons(), ReasonClarificationTimeout)
	assert.Contains(t, RejectionReasons(), ReasonDataMismatch)
}

func TestApproveApplication_ResultDocumentDefaultsAndRules(t *testing.T) {
	a := accountIn(t, StatusInReview)
	requireDomainErr(t, a.ApproveApplication(appID, ResultDocument{}, "", operator, appNow), CodeValidation, "result_document.number")
	bad := ResultDocument{Number: "1", IssuedAt: formToday, ValidUntil: formToday}
	requireDomainErr(t, a.ApproveApplication(appID, bad, "", operator, appNow), CodeValidation, "result_document.valid_until")
	require.NoError(t, a.ApproveApplication(appID, ResultDocument{Number: " С-1 "}, "Готово", operator, appNow))
	s := appState(t, a)
	assert.Equal(t, &ResultDocument{Type: "certificate", Number: "С-1", IssuedAt: formToday}, s.Result)
	assert.Equal(t, "Готово", s.History[len(s.History)-1].Comment)
}

func TestResubmission_AfterRejectionThenApproval(t *testing.T) {
	a := applicantAccount(t)
	in := submitInput(ServiceArrivalNotification)
	require.NoError(t, a.SubmitApplication(in, citizen, appNow, formToday, appCal))
	require.NoError(t, a.AcceptApplication(appID, operator, appNow.Add(time.Hour)))
	require.NoError(t, a.StartReview(appID, operator, appNow.Add(2*time.Hour)))
	require.NoError(t, a.RejectApplication(appID, []string{ReasonDocumentsMissing, ReasonDataMismatch, ReasonDataMismatch},
		"Адрес не совпадает, нужна действующая миграционная карта", []string{DocMigrationCard}, operator, appNow.Add(3*time.Hour)))
	s := appState(t, a)
	last := s.History[len(s.History)-1]
	assert.Equal(t, []string{ReasonDocumentsMissing, ReasonDataMismatch}, last.Reasons)
	assert.Equal(t, []string{DocMigrationCard}, last.MissingDocuments)

	// Corrections are checked like a submission.
	bad := validForms()[ServiceArrivalNotification]
	bad["purpose"] = "smuggling"
	resubmitDay := MustDate(2026, time.April, 20)
	requireDomainErr(t, a.ResubmitApplication(appID, bad, nil, citizen, appNow, resubmitDay, appCal), CodeValidation, "purpose")
	requireDomainErr(t, a.ResubmitApplication(appID, nil, []uuid.UUID{passportID}, citizen, appNow, resubmitDay, appCal), CodeDocumentsMissing, "documents.migration_card")

	fixed := validForms()[ServiceArrivalNotification]
	fixed["host_address"].(map[string]any)["house"] = "9"
	require.NoError(t, a.ResubmitApplication(appID, fixed, []uuid.UUID{passportID, migrationID}, citizen, appNow.Add(120*time.Hour), resubmitDay, appCal))
	s = appState(t, a)
	assert.Equal(t, StatusInReview, s.Status)
	assert.Equal(t, "9", s.Form["host_address"].(map[string]any)["house"])
	assert.Equal(t, appCal.AddWorkingDays(resubmitDay, 3), s.Deadline, "the deadline starts anew")

	require.NoError(t, a.ApproveApplication(appID, ResultDocument{Number: "77-000123"}, "", operator, appNow.Add(121*time.Hour)))
	s = appState(t, a)
	var statuses []string
	for _, h := range s.History {
		statuses = append(statuses, h.Status)
	}
	assert.Equal(t, []string{"submitted", "accepted", "in_review", "rejected", "in_review", "approved"}, statuses)
	assert.Equal(t, "arrival_notification_receipt", s.Result.Type)
	assert.Equal(t, "Одобрено", s.StatusLabel)
}

func TestResubmission_KeepsFormAndDocumentsWhenNotGiven(t *testing.T) {
	a := accountIn(t, StatusRejected)
	before := appState(t, a)
	require.NoError(t, a.ResubmitApplication(appID, nil, nil, citizen, appNow, formToday, appCal))
	after := appState(t, a)
	assert.Equal(t, before.Form, after.Form)
	assert.Equal(t, before.DocumentIDs, after.DocumentIDs)
}

func TestOverdue_PastTheDeadlineWhileTheAuthorityHoldsIt(t *testing.T) {
	a := submitted(t, ServiceCertificate)
	deadline := appState(t, a).Deadline
	require.Equal(t, MustDate(2026, time.April, 22), deadline)
	assert.False(t, appState(t, a).Overdue(deadline))
	assert.True(t, appState(t, a).Overdue(deadline.AddDays(1)))

	require.NoError(t, a.AcceptApplication(appID, operator, appNow))
	require.NoError(t, a.StartReview(appID, operator, appNow))
	assert.True(t, appState(t, a).Overdue(deadline.AddDays(1)))
	require.NoError(t, a.ApproveApplication(appID, ResultDocument{Number: "1"}, "late but fine", operator, appNow.Add(240*time.Hour)),
		"a decision past the deadline is still accepted")
	assert.False(t, appState(t, a).Overdue(deadline.AddDays(30)))

	unpaid := appState(t, submitted(t, ServicePatent))
	assert.False(t, unpaid.Overdue(formToday.AddDays(365)), "nothing runs while the fee is unpaid")
}

// fullStory runs every kind of application event on one account.
func fullStory(t *testing.T) *ForeignerAccount {
	t.Helper()
	a := submitted(t, ServicePatent)
	edited := validForms()[ServicePatent]
	edited["period_months"] = 4
	require.NoError(t, a.EditApplication(appID, edited, nil, citizen, appNow, formToday, appCal))
	require.NoError(t, a.PayFee(appID, 420000, "RUB", "tx-1", gateway, appNow, formToday, appCal))
	require.NoError(t, a.StartReview(appID, operator, appNow))
	require.NoError(t, a.RequestClarification(appID, "Приложите карту", formToday.AddDays(5), operator, appNow, formToday))
	require.NoError(t, a.ProvideClarification(appID, "Приложил", []uuid.UUID{stayID}, citizen, appNow, formToday, appCal))
	require.NoError(t, a.RejectApplication(appID, []string{ReasonDocumentsInvalid}, "", []string{DocMigrationCard}, operator, appNow))
	form := validForms()[ServicePatent]
	form["period_months"] = 3
	require.NoError(t, a.ResubmitApplication(appID, form, nil, citizen, appNow, formToday, appCal))
	require.NoError(t, a.ApproveApplication(appID, ResultDocument{Number: "77 №1", ValidUntil: formToday.AddDays(90)}, "", operator, appNow))
	second := uuid.MustParse("0190b000-0000-7000-8000-000000000002")
	in := submitInput(ServiceCertificate)
	in.ApplicationID, in.Number = second, "2026-000124"
	require.NoError(t, a.SubmitApplication(in, citizen, appNow, formToday, appCal))
	require.NoError(t, a.AcceptApplication(second, operator, appNow))
	require.NoError(t, a.WithdrawApplication(second, citizen, appNow))
	return a
}

func TestApplications_ReplayEqualsTheLiveState(t *testing.T) {
	a := fullStory(t)
	seen := map[string]bool{}
	for _, e := range a.Changes() {
		seen[e.EventType()] = true
	}
	for _, e := range applicationSampleEvents() {
		assert.True(t, seen[e.EventType()], "the story records %s", e.EventType())
	}
	history := append(registeredHistory(t), a.Changes()...)
	live := a.State()
	assert.Equal(t, live, NewAccountFromHistory(acctID, history).State())

	// And through the store's encoding, as the auditor's replay reads it.
	var stored []Event
	for _, e := range history {
		typ, v, data, err := EncodeEvent(e)
		require.NoError(t, err)
		back, err := DecodeEvent(typ, v, data)
		require.NoError(t, err)
		stored = append(stored, back)
	}
	assert.Equal(t, live, NewAccountFromHistory(acctID, stored).State())
}

func TestProvideClarification_TheCitizensTimeDoesNotCountAgainstTheDeadline(t *testing.T) {
	a := submitted(t, ServiceCertificate)
	op := Actor{ID: "op-1", Role: "operator"}
	require.NoError(t, a.AcceptApplication(appID, op, appNow))
	require.NoError(t, a.StartReview(appID, op, appNow))
	before := appState(t, a).Deadline
	asked := appNow.Add(24 * time.Hour) // Thursday 16 April
	require.NoError(t, a.RequestClarification(appID, "Уточните цель", MustDate(2026, 4, 30), op, asked, MoscowDate(asked)))
	answered := asked.Add(7 * 24 * time.Hour) // Thursday 23 April: 5 working days later
	require.NoError(t, a.ProvideClarification(appID, "Для работодателя", nil, citizen, answered, MoscowDate(answered), appCal))
	got := appState(t, a).Deadline
	assert.Equal(t, appCal.AddWorkingDays(before, 5), got, "the authority's deadline moves by the 5 working days the citizen took")
	last := a.Changes()[len(a.Changes())-1].(ClarificationProvided)
	assert.Equal(t, got, last.Deadline)

	reg, err := Register(acctID, validRegistration(), acctT0)
	require.NoError(t, err)
	replayed := NewAccountFromHistory(acctID, append(reg.Changes(), a.Changes()...))
	s, _ := replayed.Application(appID)
	assert.Equal(t, got, s.Deadline, "replay gives the same deadline")
}

func TestTimeoutUnpaidFee_After30DaysRejectsWithFeeNotPaid(t *testing.T) {
	a := submitted(t, ServicePatent)
	system := Actor{ID: "system", Role: "system"}
	got := newChanges(a, func() {
		de := requireDomainErr(t, a.TimeoutUnpaidFee(appID, system, appNow.Add(UnpaidFeeTimeout-time.Second)), CodePaymentNotDue, "")
		assert.NotEmpty(t, de.Details["due"])
	})
	assert.Empty(t, got, "29 days and some: the fee may still be paid")
	at := appNow.Add(UnpaidFeeTimeout)
	require.NoError(t, a.TimeoutUnpaidFee(appID, system, at))
	rej := a.Changes()[len(a.Changes())-1].(ApplicationRejected)
	assert.Equal(t, []string{ReasonFeeNotPaid}, rej.Reasons)
	assert.True(t, rej.Timeout)
	assert.Contains(t, rej.Comment, "4 200 руб. 00 коп.")
	assert.Equal(t, StatusRejected, appState(t, a).Status)
	requireDomainErr(t, a.PayFee(appID, 420000, "RUB", "tx-late", gateway, at, MoscowDate(at), appCal), CodeInvalidTransition, "")
}

func TestEditApplication_TheOwnerEditsUntilAnOperatorAccepts(t *testing.T) {
	a := submitted(t, ServiceCertificate)
	form := map[string]any{"kind": "stay_status", "purpose": "Для банка"}
	got := newChanges(a, func() { require.NoError(t, a.EditApplication(appID, form, nil, citizen, appNow, formToday, appCal)) })
	require.Len(t, got, 1)
	ed := got[0].(ApplicationEdited)
	assert.Equal(t, StatusSubmitted, ed.Status)
	s := appState(t, a)
	assert.Equal(t, StatusSubmitted, s.Status, "an edit keeps the status")
	assert.Equal(t, "stay_status", s.Form["kind"])
	assert.Equal(t, "ApplicationEdited", s.History[len(s.History)-1].Event, "the history shows the edit")

	bad := map[string]any{"kind": "astrology", "purpose": "x"}
	requireDomainErr(t, a.EditApplication(appID, bad, nil, citizen, appNow, formToday, appCal), CodeValidation, "")
	requireDomainErr(t, a.EditApplication(appID, nil, []uuid.UUID{otherDocID}, citizen, appNow, formToday, appCal), CodeDocumentUnknown, "")
	requireDomainErr(t, a.EditApplication(appID, nil, nil, citizen, appNow, formToday, appCal), CodeRequired, "form")

	require.NoError(t, a.AcceptApplication(appID, operator, appNow))
	de := requireDomainErr(t, a.EditApplication(appID, form, nil, citizen, appNow, formToday, appCal), CodeInvalidTransition, "")
	assert.Equal(t, StatusAccepted, de.Details["from"])
	assert.Equal(t, ActionEdit, de.Details["action"])

	unpaid := submitted(t, ServicePatent)
	f := validForms()[ServicePatent]
	f["period_months"] = 2
	require.NoError(t, unpaid.EditApplication(appID, f, nil, citizen, appNow, formToday, appCal), "awaiting payment: not yet accepted")
	assert.Equal(t, StatusAwaitingPayment, appState(t, unpaid).Status)
}
