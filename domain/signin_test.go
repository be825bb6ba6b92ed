package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signinSampleEvents has one value of every credential event.
func signinSampleEvents() []Event {
	return []Event{
		PasswordSet{OccurredAt: evT0},
		PasswordChanged{Reason: "reset", OccurredAt: evT0},
		TotpEnrolled{OccurredAt: evT0},
	}
}

func weakReason(t *testing.T, err error) string {
	t.Helper()
	var de *Error
	require.True(t, errors.As(err, &de), "want a domain error, got %v", err)
	require.Equal(t, CodePasswordWeak, de.Code)
	require.Len(t, de.Fields, 1)
	assert.Equal(t, "password", de.Fields[0].Field)
	assert.Equal(t, de.Fields[0].Code, de.Details["reason"])
	return de.Details["reason"].(string)
}

func TestCheckPassword_AtLeastEightCharacters(t *testing.T) {
	assert.Equal(t, PasswordTooShort, weakReason(t, CheckPassword("Kx7#pQ2", nil)))
	assert.Equal(t, PasswordTooShort, weakReason(t, CheckPassword("ЖёлтыйЁ", nil)), "counted in characters, not bytes")
	assert.NoError(t, CheckPassword("Kx7#pQ2z", nil))
}

func TestCheckPassword_BoundedLength(t *testing.T) {
	assert.Equal(t, PasswordTooLong, weakReason(t, CheckPassword(strings.Repeat("Kx7#pQ2z", 40), nil)))
}

func TestCheckPassword_NotACommonPassword(t *testing.T) {
	for _, pw := range []string{"password", "Password", "12345678", "qwertyuiop", "iloveyou", "1qaz2wsx", "trustno1"} {
		assert.Equal(t, PasswordCommon, weakReason(t, CheckPassword(pw, nil)), pw)
	}
	assert.NoError(t, CheckPassword("correct horse battery staple", nil))
}

func TestCommonPasswords_ShipsAtLeastTenThousand(t *testing.T) {
	assert.GreaterOrEqual(t, CommonPasswords(), 10_000)
	for pw := range common() {
		require.GreaterOrEqual(t, len([]rune(pw)), MinPasswordLength, "shorter ones are refused by length: %q", pw)
		require.Equal(t, strings.ToLower(pw), pw)
	}
}

func TestCheckPassword_NotContainingThePersonsContacts(t *testing.T) {
	contacts := []string{"+79161234567", "alisher.k@example.uz"}
	for _, pw := range []string{"x+79161234567!", "my89161234567", "79161234567zz", "9161234567ab", "Alisher.K@example.uz", "ALISHER.K-2024"} {
		assert.Equal(t, PasswordContainsContact, weakReason(t, CheckPassword(pw, contacts)), pw)
	}
	assert.NoError(t, CheckPassword("violet-lamp-1987", contacts))
}

func TestRecordPassword_SetThenChanged(t *testing.T) {
	a, err := Register(uuid.New(), Registration{Surname: "Ли", GivenNames: "Вэй", Citizenship: "CN", Email: "wei@example.com", Consent: CurrentConsent()}, evT0)
	require.NoError(t, err)
	assert.False(t, a.HasPassword())
	a.RecordPassword("changed", evT0)
	assert.True(t, a.HasPassword())
	a.RecordPassword("reset", evT0)
	ch := a.Changes()
	ch = ch[len(ch)-2:]
	assert.Equal(t, PasswordSet{OccurredAt: evT0}, ch[0])
	assert.Equal(t, PasswordChanged{Reason: "reset", OccurredAt: evT0}, ch[1])
	for _, e := range ch {
		_, _, data, err := EncodeEvent(e)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		assert.NotContains(t, m, "hash", "an event says only that a password was set")
	}
}

func TestEnrollTotp_Once(t *testing.T) {
	a, err := Register(uuid.New(), Registration{Surname: "Ли", GivenNames: "Вэй", Citizenship: "CN", Email: "wei@example.com", Consent: CurrentConsent()}, evT0)
	require.NoError(t, err)
	require.NoError(t, a.EnrollTotp(evT0))
	assert.True(t, a.HasTotp())
	assert.ErrorIs(t, a.EnrollTotp(evT0), &Error{Code: CodeTotpAlreadyEnrolled})
}
