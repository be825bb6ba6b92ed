package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	acctID  = uuid.MustParse("0b7e8f4a-2c1d-4e5f-9a8b-7c6d5e4f3a2b")
	acctT0  = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	hasher  = HMACCodeHasher{Key: bytes.Repeat([]byte("k"), MinCodeKeyLen)}
	codeFor = map[Channel]string{ChannelPhone: "123456", ChannelEmail: "654321"}
)

// registered returns a freshly registered account as the command layer
// would load it after saving: with both contacts unless the form drops one.
func registered(t *testing.T, edit ...func(*Registration)) *ForeignerAccount {
	t.Helper()
	in := validRegistration()
	for _, e := range edit {
		e(&in)
	}
	a, err := Register(acctID, in, acctT0)
	require.NoError(t, err)
	return NewAccountFromHistory(acctID, a.Changes())
}

// requestCode issues the channel's fixed test code at now.
func requestCode(t *testing.T, a *ForeignerAccount, ch Channel, now time.Time) string {
	t.Helper()
	var n uint32
	for _, c := range codeFor[ch] {
		n = n*10 + uint32(c-'0')
	}
	code, err := a.RequestContactCode(ch, now, draws(n), hasher)
	require.NoError(t, err)
	require.Equal(t, codeFor[ch], code)
	return code
}

func changeTypes(a *ForeignerAccount) []string {
	var out []string
	for _, e := range a.Changes() {
		out = append(out, e.EventType())
	}
	return out
}

func TestRegister_RecordsAccountRegisteredWithNormalisedData(t *testing.T) {
	in := validRegistration()
	in.Phone, in.Email, in.Citizenship = "8 (916) 123-45-67", "Alisher@Example.UZ", "uz"
	local := time.FixedZone("MSK", 3*3600)
	a, err := Register(acctID, in, acctT0.In(local))
	require.NoError(t, err)

	assert.Equal(t, acctID, a.ID())
	assert.Equal(t, int64(-1), a.Version(), "nothing is stored yet")
	assert.Equal(t, []Event{AccountRegistered{
		AccountID: acctID, Surname: "Каримов", GivenNames: "Алишер", Patronymic: "Рустамович",
		Citizenship: "UZ", Phone: "+79161234567", Email: "Alisher@example.uz", OccurredAt: acctT0,
	}, ConsentGiven{Kind: ConsentPersonalData, Version: CurrentConsentVersion, OccurredAt: acctT0}},
		a.Changes(), "times are recorded in UTC; the consent is recorded with its version")
}

func TestRegister_RefusesInvalidFormAndNilID(t *testing.T) {
	in := validRegistration()
	in.Email, in.Phone = "x@yopmail.com", ""
	a, err := Register(acctID, in, acctT0)
	assert.Nil(t, a)
	requireDomainErr(t, err, CodeEmailDisposable, "email")

	a, err = Register(uuid.Nil, validRegistration(), acctT0)
	assert.Nil(t, a)
	requireDomainErr(t, err, CodeRequired, "account_id")
}

func TestRequestContactCode_IssuesCodeStoredOnlyAsHash(t *testing.T) {
	tests := []struct {
		ch  Channel
		ttl time.Duration
	}{
		{ChannelPhone, 15 * time.Minute},
		{ChannelEmail, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.ch.String(), func(t *testing.T) {
			a := registered(t)
			code := requestCode(t, a, tt.ch, acctT0)

			require.Len(t, a.Changes(), 1)
			e := a.Changes()[0].(ContactConfirmationRequested)
			assert.Equal(t, hasher.HashCode(acctID, tt.ch, code), e.CodeHash)
			assert.Equal(t, acctT0.Add(tt.ttl), e.ExpiresAt)
			assert.Equal(t, acctT0.Add(60*time.Second), e.ResendAfter)
			assert.Equal(t, a.State().Contacts[map[Channel]int{ChannelPhone: 0, ChannelEmail: 1}[tt.ch]].Value, e.Value)

			_, _, data, err := EncodeEvent(e)
			require.NoError(t, err)
			var fields map[string]any
			require.NoError(t, json.Unmarshal(data, &fields))
			for k, v := range fields {
				assert.NotEqual(t, code, v, "the clear code is never stored (%s)", k)
			}
		})
	}
}

func TestRequestContactCode_Refusals(t *testing.T) {
	phoneOnly := func(r *Registration) { r.Email = "" }
	tests := []struct {
		name  string
		setup func(t *testing.T) *ForeignerAccount
		ch    Channel
		code  string
	}{
		{"contact not on the account", func(t *testing.T) *ForeignerAccount { return registered(t, phoneOnly) }, ChannelEmail, CodeContactMissing},
		{"account not registered", func(*testing.T) *ForeignerAccount { return NewAccountFromHistory(acctID, nil) }, ChannelPhone, CodeAccountNotFound},
		{"no channel", func(t *testing.T) *ForeignerAccount { return registered(t) }, Channel{}, CodeValidation},
		{"already confirmed", func(t *testing.T) *ForeignerAccount {
			a := registered(t)
			code := requestCode(t, a, ChannelPhone, acctT0)
			require.NoError(t, a.ConfirmContact(ChannelPhone, code, acctT0.Add(time.Minute), hasher))
			return a
		}, ChannelPhone, CodeContactAlreadyConfirmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.setup(t)
			before := len(a.Changes())
			_, err := a.RequestContactCode(tt.ch, acctT0.Add(time.Hour), draws(1), hasher)
			requireDomainErr(t, err, tt.code, "")
			assert.Len(t, a.Changes(), before, "a refusal records nothing")
		})
	}
}

func TestRequestContactCode_ResendWithin60sRefused(t *testing.T) {
	tests := []struct {
		after      time.Duration
		retryAfter int // 0: allowed
	}{
		{0, 60},
		{time.Second, 59},
		{59*time.Second + 500*time.Millisecond, 1},
		{60 * time.Second, 0},
		{10 * time.Minute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			a := registered(t)
			requestCode(t, a, ChannelPhone, acctT0)
			_, err := a.RequestContactCode(ChannelPhone, acctT0.Add(tt.after), draws(5), hasher)
			if tt.retryAfter == 0 {
				assert.NoError(t, err)
				return
			}
			de := requireDomainErr(t, err, CodeResendTooSoon, "")
			assert.Equal(t, tt.retryAfter, de.Details["retry_after"])
		})
	}
}

func TestRequestContactCode_ResendIntervalIsPerContact(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	requestCode(t, a, ChannelEmail, acctT0.Add(time.Second))
}

func TestRequestContactCode_NewCodeVoidsOldButRestoresNoAttempts(t *testing.T) {
	a := registered(t)
	old := requestCode(t, a, ChannelPhone, acctT0)
	require.Error(t, a.ConfirmContact(ChannelPhone, "000000", acctT0.Add(time.Second), hasher))
	require.Equal(t, 2, a.State().Contacts[0].AttemptsLeft)

	code, err := a.RequestContactCode(ChannelPhone, acctT0.Add(2*time.Minute), draws(777777), hasher)
	require.NoError(t, err)
	assert.Equal(t, "777777", code)
	assert.Equal(t, 2, a.State().Contacts[0].AttemptsLeft, "the counter belongs to the contact, not to the code")

	err = a.ConfirmContact(ChannelPhone, old, acctT0.Add(3*time.Minute), hasher)
	requireDomainErr(t, err, CodeCodeInvalid, "")
	require.NoError(t, a.ConfirmContact(ChannelPhone, code, acctT0.Add(4*time.Minute), hasher))
}

func TestRequestContactCode_BrokenRandomSourceRecordsNothing(t *testing.T) {
	a := registered(t)
	_, err := a.RequestContactCode(ChannelPhone, acctT0, bytes.NewReader(nil), hasher)
	require.Error(t, err)
	var de *Error
	assert.False(t, errors.As(err, &de), "an infrastructure failure is not a domain refusal")
	assert.Empty(t, a.Changes())

	_, err = a.RequestContactCode(ChannelPhone, acctT0, draws(1), nil)
	assert.Error(t, err)
	assert.Empty(t, a.Changes())
}

func TestConfirmContact_RightCodeConfirms(t *testing.T) {
	for _, ch := range []Channel{ChannelPhone, ChannelEmail} {
		t.Run(ch.String(), func(t *testing.T) {
			a := registered(t)
			code := requestCode(t, a, ch, acctT0)
			require.NoError(t, a.ConfirmContact(ch, " "+code+" ", acctT0.Add(time.Minute), hasher))

			last := a.Changes()[len(a.Changes())-1]
			value := map[Channel]string{ChannelPhone: "+79161234567", ChannelEmail: "alisher@example.uz"}[ch]
			assert.Equal(t, ContactConfirmed{Channel: ch, Value: value, OccurredAt: acctT0.Add(time.Minute)}, last)
			assert.Equal(t, LevelSimplified, a.State().Level)
		})
	}
}

func TestConfirmContact_ExpiresAtTheTTL(t *testing.T) {
	tests := []struct {
		ch      Channel
		at      time.Duration
		expired bool
	}{
		{ChannelPhone, 15*time.Minute - time.Nanosecond, false},
		{ChannelPhone, 15 * time.Minute, true},
		{ChannelPhone, 16 * time.Minute, true},
		{ChannelEmail, 15 * time.Minute, false},
		{ChannelEmail, 30*time.Minute - time.Nanosecond, false},
		{ChannelEmail, 30 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.ch.String()+"@"+tt.at.String(), func(t *testing.T) {
			a := registered(t)
			code := requestCode(t, a, tt.ch, acctT0)
			err := a.ConfirmContact(tt.ch, code, acctT0.Add(tt.at), hasher)
			if !tt.expired {
				assert.NoError(t, err)
				return
			}
			requireDomainErr(t, err, CodeCodeExpired, "")
			assert.Len(t, a.Changes(), 1, "an expired code costs no attempt")
		})
	}
}

func TestConfirmContact_WrongCodeRecordsFailureAndReturnsCodeInvalid(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	for i, left := range []int{2, 1} {
		at := acctT0.Add(time.Duration(i+1) * time.Second)
		err := a.ConfirmContact(ChannelPhone, "999999", at, hasher)
		de := requireDomainErr(t, err, CodeCodeInvalid, "")
		assert.Equal(t, left, de.Details["attempts_left"])
		assert.Equal(t, ContactConfirmationFailed{Channel: ChannelPhone, Value: "+79161234567", AttemptsLeft: left, OccurredAt: at},
			a.Changes()[len(a.Changes())-1], "the failure is recorded even though an error is returned")
	}
	assert.Equal(t, 1, a.State().Contacts[0].AttemptsLeft)
	assert.Equal(t, MaxCodeAttempts, a.State().Contacts[1].AttemptsLeft, "attempts are per contact")
}

func TestConfirmContact_ThirdWrongCodeLocks(t *testing.T) {
	a := registered(t)
	code := requestCode(t, a, ChannelPhone, acctT0)
	at := acctT0.Add(time.Minute)
	for range 2 {
		requireDomainErr(t, a.ConfirmContact(ChannelPhone, "999999", at, hasher), CodeCodeInvalid, "")
	}
	err := a.ConfirmContact(ChannelPhone, "999999", at, hasher)
	de := requireDomainErr(t, err, CodeConfirmationLocked, "")
	until := at.Add(30 * time.Minute)
	assert.Equal(t, until.Format(time.RFC3339), de.Details["until"])
	assert.Equal(t, 1800, de.Details["retry_after"])

	changes := a.Changes()
	assert.Equal(t, []Event{
		ContactConfirmationFailed{Channel: ChannelPhone, Value: "+79161234567", AttemptsLeft: 0, OccurredAt: at},
		ContactConfirmationLocked{Channel: ChannelPhone, Value: "+79161234567", Until: until, OccurredAt: at},
	}, changes[len(changes)-2:])

	// Locked: even the right code is refused, and nothing more is recorded.
	n := len(a.Changes())
	de = requireDomainErr(t, a.ConfirmContact(ChannelPhone, code, at.Add(10*time.Minute), hasher), CodeConfirmationLocked, "")
	assert.Equal(t, 1200, de.Details["retry_after"])
	assert.Len(t, a.Changes(), n)
	assert.Nil(t, a.State().Contacts[0].PendingCodeExpiresAt, "the lock voids the code")
}

func TestConfirmContact_LockExpiresAfter30Minutes(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	for range 3 {
		_ = a.ConfirmContact(ChannelPhone, "999999", acctT0, hasher)
	}
	_, err := a.RequestContactCode(ChannelPhone, acctT0.Add(30*time.Minute-time.Second), draws(1), hasher)
	de := requireDomainErr(t, err, CodeConfirmationLocked, "")
	assert.Equal(t, 1, de.Details["retry_after"])

	// After the lock the old code is gone: a new one must be requested.
	requireDomainErr(t, a.ConfirmContact(ChannelPhone, codeFor[ChannelPhone], acctT0.Add(30*time.Minute), hasher), CodeNoCodeRequested, "")
	code := requestCode(t, a, ChannelPhone, acctT0.Add(30*time.Minute))
	st := a.State().Contacts[0]
	assert.Equal(t, MaxCodeAttempts, st.AttemptsLeft)
	assert.Nil(t, st.LockedUntil)
	require.NoError(t, a.ConfirmContact(ChannelPhone, code, acctT0.Add(31*time.Minute), hasher))
}

func TestConfirmContact_SavedFailuresCountAfterReload(t *testing.T) {
	// The command layer saves Changes() even when ConfirmContact fails, so
	// a fresh load carries on counting: the limit cannot be reset by retrying.
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	history := a.Changes()
	for i := range 3 {
		a = NewAccountFromHistory(acctID, append(registeredHistory(t), history...))
		err := a.ConfirmContact(ChannelPhone, "999999", acctT0.Add(time.Minute), hasher)
		history = append(history, a.Changes()...)
		if i < 2 {
			requireDomainErr(t, err, CodeCodeInvalid, "")
		} else {
			requireDomainErr(t, err, CodeConfirmationLocked, "")
		}
	}
}

func registeredHistory(t *testing.T) []Event {
	a, err := Register(acctID, validRegistration(), acctT0)
	require.NoError(t, err)
	return a.Changes()
}

func TestConfirmContact_RefusalsThatRecordNothing(t *testing.T) {
	phoneOnly := func(r *Registration) { r.Email = "" }
	tests := []struct {
		name  string
		setup func(t *testing.T) *ForeignerAccount
		ch    Channel
		code  string
		want  string
	}{
		{"no code requested", func(t *testing.T) *ForeignerAccount { return registered(t) }, ChannelPhone, "123456", CodeNoCodeRequested},
		{"contact not on the account", func(t *testing.T) *ForeignerAccount { return registered(t, phoneOnly) }, ChannelEmail, "123456", CodeContactMissing},
		{"account not registered", func(*testing.T) *ForeignerAccount { return NewAccountFromHistory(acctID, nil) }, ChannelPhone, "123456", CodeAccountNotFound},
		{"malformed code costs no attempt", func(t *testing.T) *ForeignerAccount {
			a := registered(t)
			requestCode(t, a, ChannelPhone, acctT0)
			return a
		}, ChannelPhone, "12345a", CodeCodeInvalid},
		{"code of the other channel", func(t *testing.T) *ForeignerAccount {
			a := registered(t)
			requestCode(t, a, ChannelEmail, acctT0)
			return a
		}, ChannelPhone, codeFor[ChannelEmail], CodeNoCodeRequested},
		{"already confirmed", func(t *testing.T) *ForeignerAccount {
			a := registered(t)
			require.NoError(t, a.ConfirmContact(ChannelPhone, requestCode(t, a, ChannelPhone, acctT0), acctT0, hasher))
			return a
		}, ChannelPhone, "123456", CodeContactAlreadyConfirmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.setup(t)
			before := len(a.Changes())
			err := a.ConfirmContact(tt.ch, tt.code, acctT0.Add(time.Minute), hasher)
			requireDomainErr(t, err, tt.want, "")
			assert.Len(t, a.Changes(), before)
		})
	}
}

func TestConfirmContact_CodeIsBoundToAccountAndChannel(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	requestCode(t, a, ChannelEmail, acctT0)
	// The email's code entered for the phone is just a wrong code.
	err := a.ConfirmContact(ChannelPhone, codeFor[ChannelEmail], acctT0.Add(time.Second), hasher)
	requireDomainErr(t, err, CodeCodeInvalid, "")

	other := HMACCodeHasher{Key: bytes.Repeat([]byte("x"), MinCodeKeyLen)}
	err = a.ConfirmContact(ChannelEmail, codeFor[ChannelEmail], acctT0.Add(time.Second), other)
	requireDomainErr(t, err, CodeCodeInvalid, "")
}

func TestChanges_ReturnsACopy(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	c := a.Changes()
	c[0] = nil
	assert.NotNil(t, a.Changes()[0])
}
