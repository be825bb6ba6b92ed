package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func closureSampleEvents() []Event {
	return []Event{
		AccountClosed{Reason: ClosedByOwner, By: "acc-1", ByRole: "citizen", OccurredAt: evT0},
		PersonalDataErased{Reason: "запрос субъекта ПДн", By: "admin-1", ByRole: "admin", OccurredAt: evT0},
	}
}

var admin = Actor{ID: "admin-1", Role: "admin"}

func TestClose_WithdrawsPendingApplicationsThenCloses(t *testing.T) {
	a := submitted(t, ServiceArrivalNotification)
	before := len(a.Changes())
	require.NoError(t, a.Close(ClosedByOwner, citizen, appNow))
	got := a.Changes()[before:]
	require.Len(t, got, 2)
	w, ok := got[0].(ApplicationWithdrawn)
	require.True(t, ok, "the pending application is withdrawn first")
	assert.Equal(t, appID, w.ApplicationID)
	c, ok := got[1].(AccountClosed)
	require.True(t, ok)
	assert.Equal(t, ClosedByOwner, c.Reason)
	assert.Equal(t, StatusWithdrawn, appState(t, a).Status)
	assert.True(t, a.Closed())
}

func TestClose_DecidedApplicationsStayAsTheyAre(t *testing.T) {
	a := submitted(t, ServiceArrivalNotification)
	require.NoError(t, a.WithdrawApplication(appID, citizen, appNow))
	before := len(a.Changes())
	require.NoError(t, a.Close(ClosedByOwner, citizen, appNow))
	require.Len(t, a.Changes()[before:], 1, "only AccountClosed")
}

func TestClose_ClosedAccountRefusesEveryCommand(t *testing.T) {
	a := simplifiedAccount(t)
	require.NoError(t, a.Close(ClosedByOwner, citizen, appNow))
	closureCode(t, a.EnsureOpen(), CodeAccountClosed)
	closureCode(t, a.Close(ClosedByOwner, citizen, appNow), CodeAccountClosed)
	closureCode(t, a.Close("because", citizen, appNow), CodeAccountClosed)
	b := simplifiedAccount(t)
	closureCode(t, b.Close("because", citizen, appNow), CodeEnum)
}

func TestErasePersonalData_NeedsAReasonAndClosesAnOpenAccount(t *testing.T) {
	a := submitted(t, ServiceArrivalNotification)
	closureCode(t, a.ErasePersonalData("  ", admin, appNow), CodeRequired)
	closureCode(t, a.ErasePersonalData(strings.Repeat("я", MaxErasureReason+1), admin, appNow), CodeTooLong)
	before := len(a.Changes())
	require.NoError(t, a.ErasePersonalData("152-ФЗ, запрос субъекта", admin, appNow))
	got := a.Changes()[before:]
	require.Len(t, got, 3, "withdrawn, closed, erased")
	assert.Equal(t, ClosedForErasure, got[1].(AccountClosed).Reason)
	assert.Equal(t, "admin", got[2].(PersonalDataErased).ByRole)
	assert.True(t, a.Erased())
	closureCode(t, a.ErasePersonalData("again", admin, appNow), CodePersonalDataErased)
}

func TestRetentionEnded_CountsFromClosure(t *testing.T) {
	a := simplifiedAccount(t)
	const retention = 3 * 365 * 24 * time.Hour
	assert.False(t, a.RetentionEnded(retention, appNow.Add(10*retention)), "an open account is kept")
	require.NoError(t, a.Close(ClosedByOwner, citizen, appNow))
	assert.False(t, a.RetentionEnded(retention, appNow.Add(retention-time.Second)))
	assert.True(t, a.RetentionEnded(retention, appNow.Add(retention)))
	require.NoError(t, a.ErasePersonalData("retention", admin, appNow.Add(retention)))
	assert.False(t, a.RetentionEnded(retention, appNow.Add(2*retention)), "erased once")
}

func TestPersonalFields_CoverDomainPersonalData(t *testing.T) {
	for _, f := range []string{"surname", "given_names", "birth_date", "address_ru", "phone", "email", "snils", "inn", "series"} {
		assert.Contains(t, PersonalFields("PersonalDataProvided"), f)
	}
	assert.Contains(t, PersonalFields("DocumentAdded"), "number")
	assert.NotContains(t, PersonalFields("ApplicationSubmitted"), "number", "an application number is not personal")
	assert.ElementsMatch(t, []string{"source_ip", "user_agent"}, PersonalMetadata())
}

func closureCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, code, de.Code)
}
