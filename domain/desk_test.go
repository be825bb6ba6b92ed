package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	deskID  = uuid.MustParse("0190c000-0000-7000-8000-000000000001")
	deskID2 = uuid.MustParse("0190c000-0000-7000-8000-000000000002")
)

// deskSampleEvents has one fully populated value of every desk event.
func deskSampleEvents() []Event {
	ref := ApplicationRef{ApplicationID: appID, By: operatorID, ByRole: "operator"}
	return []Event{
		SupportRequestOpened{RequestID: deskID, Number: "S-2026-000001", Topic: "Вход", Text: "Не приходит СМС",
			Priority: PriorityNormal, FirstAnswerDue: evT0.Add(15 * time.Minute), ResolutionDue: evT0.Add(96 * time.Hour),
			By: "c", ByRole: "citizen", OccurredAt: evT0},
		SupportMessagePosted{RequestID: deskID, MessageID: deskID2, Text: "Ответ", AnswerDue: evT0, By: "o", ByRole: "operator", OccurredAt: evT0},
		SupportRequestResolved{RequestID: deskID, By: "o", ByRole: "operator", OccurredAt: evT0},
		SupportRequestClosed{RequestID: deskID, By: "c", ByRole: "citizen", OccurredAt: evT0},
		AppointmentBooked{AppointmentID: deskID, Number: "A-2026-000001", OfficeID: "mfc-tverskoy", Purpose: ServiceCertificate,
			Slot: evT0, SlotEnd: evT0.Add(15 * time.Minute), DocumentIDs: []uuid.UUID{passportID}, By: "c", ByRole: "citizen", OccurredAt: evT0},
		AppointmentReadyForVisit{AppointmentID: deskID, Ticket: "A-2026-000001", Checked: []string{"identity_document"}, OccurredAt: evT0},
		AppointmentRescheduled{AppointmentID: deskID, OfficeID: "mfc-tverskoy", FromSlot: evT0, Slot: evT0.Add(time.Hour),
			SlotEnd: evT0.Add(75 * time.Minute), By: "c", ByRole: "citizen", OccurredAt: evT0},
		AppointmentCancelled{AppointmentID: deskID, OfficeID: "mfc-tverskoy", Slot: evT0, By: "c", ByRole: "citizen", OccurredAt: evT0},
		ComplaintFiled{ComplaintID: deskID, ApplicationID: appID, Text: "Не согласен", Corrections: "Приложил скан",
			RejectedAt: evT0, RejectedBy: operatorID, By: "c", ByRole: "citizen", OccurredAt: evT0},
		ComplaintUpheld{ApplicationRef: ref, ComplaintID: deskID, Comment: "Верно", Deadline: MustDate(2026, 3, 16), OccurredAt: evT0},
		ComplaintDismissed{ComplaintID: deskID, ApplicationID: appID, Comment: "Нет", By: "o2", ByRole: "operator", OccurredAt: evT0},
		FinePaid{FineID: "18810177260000000011", Amount: 50000, Currency: "RUB", TransactionID: "tx-1", OccurredAt: evT0},
		FinePaymentRefused{FineID: "18810177260000000011", Amount: 50000, Currency: "RUB", TransactionID: "tx-2",
			Reason: RefundAlreadyPaid, RefundAfter: MustDate(2026, 3, 5), RefundDue: MustDate(2026, 3, 9), OccurredAt: evT0},
		FinePaymentRefunded{FineID: "18810177260000000011", TransactionID: "tx-2", OccurredAt: evT0},
		DocumentExpiryReminded{DocumentID: passportID, Type: DocForeignPassport, ExpiresAt: MustDate(2026, 4, 1), DaysBefore: 30, OccurredAt: evT0},
	}
}

func TestSupportDeadline_CountsOnlyOperatorsHoursInMoscow(t *testing.T) {
	msk := func(d, h, m int) time.Time { return time.Date(2026, 4, d, h, m, 0, 0, Moscow) }
	for name, c := range map[string]struct {
		from time.Time
		d    time.Duration
		want time.Time
	}{
		"within the day":                {msk(1, 10, 0), 15 * time.Minute, msk(1, 10, 15)},
		"opened at 20:55: next morning": {msk(1, 20, 55), 15 * time.Minute, msk(2, 9, 10)},
		"opened at night: from 9:00":    {msk(1, 3, 0), 15 * time.Minute, msk(1, 9, 15)},
		"opened after closing":          {msk(1, 22, 30), 15 * time.Minute, msk(2, 9, 15)},
		"priority 4 h across the night": {msk(1, 19, 0), 4 * time.Hour, msk(2, 11, 0)},
		"48 working hours: four days":   {msk(1, 9, 0), 48 * time.Hour, msk(4, 21, 0)},
	} {
		assert.Equal(t, c.want.UTC(), SupportDeadline(c.from.UTC(), c.d), name)
	}
}

func TestSupportRequest_ThreadMovesStatuses(t *testing.T) {
	a := simplifiedAccount(t)
	at := time.Date(2026, 4, 1, 20, 55, 0, 0, Moscow)
	require.NoError(t, a.OpenSupportRequest(deskID, "S-1", SupportInput{Topic: "Данные", Text: "Утечка?", Priority: PriorityDataSecurity}, citizen, at))
	r, _ := a.SupportRequest(deskID)
	assert.Equal(t, SupportOpen, r.Status)
	assert.Equal(t, time.Date(2026, 4, 2, 9, 10, 0, 0, Moscow).UTC(), r.AnswerDue)
	assert.Equal(t, time.Date(2026, 4, 2, 12, 55, 0, 0, Moscow).UTC(), r.ResolutionDue, "priority: 4 working hours")
	require.NoError(t, a.PostSupportMessage(deskID, deskID2, "Проверяем", operator, at.Add(time.Hour)))
	r, _ = a.SupportRequest(deskID)
	assert.Equal(t, SupportAnswered, r.Status)
	require.NoError(t, a.ResolveSupportRequest(deskID, operator, at.Add(2*time.Hour)))
	require.NoError(t, a.CloseSupportRequest(deskID, citizen, at.Add(3*time.Hour)))
	err := a.PostSupportMessage(deskID, uuid.New(), "ещё", citizen, at.Add(4*time.Hour))
	assert.ErrorIs(t, err, &Error{Code: CodeInvalidTransition})
	assert.ErrorIs(t, a.OpenSupportRequest(deskID2, "S-2", SupportInput{Topic: "x", Text: "y", Priority: "urgent"}, citizen, at),
		&Error{Code: CodeValidation})
}

func TestOffice_SlotsFollowTheCatalogsHours(t *testing.T) {
	o, ok := OfficeByID("mfc-sokolniki")
	require.True(t, ok)
	slots := o.Slots(MustDate(2026, 4, 6), appCal) // a Monday: 9:00–18:00 by 20 minutes
	require.Len(t, slots, 27)
	assert.Equal(t, time.Date(2026, 4, 6, 9, 0, 0, 0, Moscow).UTC(), slots[0])
	assert.Empty(t, o.Slots(MustDate(2026, 4, 5), appCal), "Sunday is a day off")
	assert.Empty(t, o.Slots(MustDate(2026, 5, 11), appCal), "a public holiday is a day off")
	assert.NotEmpty(t, Offices(PurposeIdentityVerification))
}

func TestComplaint_WithinThirtyDaysAndDecidedByAnotherOperator(t *testing.T) {
	a := submitted(t, ServiceCertificate)
	require.NoError(t, a.RejectApplication(appID, []string{ReasonOther}, "нет", nil, operator, appNow))
	late := appNow.Add(ComplaintWindow + time.Minute)
	assert.ErrorIs(t, a.FileComplaint(deskID, appID, "t", "c", citizen, late), &Error{Code: CodeComplaintTooLate})
	require.NoError(t, a.FileComplaint(deskID, appID, "t", "c", citizen, appNow.Add(24*time.Hour)))
	assert.ErrorIs(t, a.DecideComplaint(deskID, ComplaintUpheldOutcome, "ok", operator, appNow, appCal), &Error{Code: CodeComplaintSameOperator})
	other := Actor{ID: "other-operator", Role: "operator"}
	require.NoError(t, a.DecideComplaint(deskID, ComplaintUpheldOutcome, "ok", other, appNow.Add(48*time.Hour), appCal))
	assert.Equal(t, StatusInReview, appState(t, a).Status)
}

func TestReminders_ThirtyThenSevenDaysEachOnce(t *testing.T) {
	a := standardAccount(t, true) // patent expires 2026-12-31
	assert.Zero(t, a.RemindExpiringDocuments(MustDate(2026, 11, 30), acctT0), "32 days ahead: nothing yet")
	assert.Equal(t, 1, a.RemindExpiringDocuments(MustDate(2026, 12, 1), acctT0))
	assert.Zero(t, a.RemindExpiringDocuments(MustDate(2026, 12, 2), acctT0), "the 30-day reminder goes once")
	assert.Equal(t, 1, a.RemindExpiringDocuments(MustDate(2026, 12, 24), acctT0))
	assert.Zero(t, a.RemindExpiringDocuments(MustDate(2026, 12, 25), acctT0))
	replayed := NewAccountFromHistory(a.ID(), a.Changes())
	assert.Zero(t, replayed.RemindExpiringDocuments(MustDate(2026, 12, 26), acctT0), "remembered from the events")
}

func TestPayFine_SecondPaymentIsRefundedWithinWorkingDays(t *testing.T) {
	a := simplifiedAccount(t)
	f := Fine{ID: "18810177260000000011", Amount: Money{Amount: 50000, Currency: "RUB"}}
	require.NoError(t, a.PayFine(f, 50000, "RUB", "tx-1", appNow, appCal))
	require.NoError(t, a.PayFine(f, 50000, "RUB", "tx-2", appNow, appCal))
	require.NoError(t, a.PayFine(f, 50000, "RUB", "tx-2", appNow, appCal), "a redelivery records nothing")
	ps := a.FinePayments()
	require.Len(t, ps, 2)
	assert.Equal(t, FinePaymentPaid, ps[0].Status)
	assert.Equal(t, FinePaymentRefundPending, ps[1].Status)
	assert.Equal(t, appCal.AddWorkingDays(MoscowDate(appNow), 3), ps[1].RefundAfter)
	assert.Zero(t, a.RefundDuePayments(MoscowDate(appNow).AddDays(1), appNow))
	assert.Equal(t, 1, a.RefundDuePayments(ps[1].RefundAfter, appNow))
	assert.Equal(t, FinePaymentStatusRefunded, a.FinePayments()[1].Status)
}
