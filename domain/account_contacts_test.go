package domain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfirmContact_ResendRestoresNoAttempts_ThreeFailuresLockWhateverWasResent(t *testing.T) {
	a := registered(t)
	now := acctT0
	requestCode(t, a, ChannelPhone, now)
	// Two guesses, then a fresh code every 61 s: the old hole, where each
	// resend gave three new guesses, must lock at the third guess.
	for i := range 2 {
		requireDomainErr(t, a.ConfirmContact(ChannelPhone, "999999", now.Add(time.Duration(i)*time.Second), hasher), CodeCodeInvalid, "")
	}
	now = now.Add(61 * time.Second)
	_, err := a.RequestContactCode(ChannelPhone, now, draws(111111), hasher)
	require.NoError(t, err)
	err = a.ConfirmContact(ChannelPhone, "999998", now.Add(time.Second), hasher)
	de := requireDomainErr(t, err, CodeConfirmationLocked, "")
	assert.Equal(t, 1800, de.Details["retry_after"])
	_, err = a.RequestContactCode(ChannelPhone, now.Add(2*time.Minute), draws(1), hasher)
	requireDomainErr(t, err, CodeConfirmationLocked, "")

	// The saved history folds to the same lock.
	replayed := NewAccountFromHistory(acctID, append(registeredHistory(t), a.Changes()...))
	_, err = replayed.RequestContactCode(ChannelPhone, now.Add(2*time.Minute), draws(1), hasher)
	requireDomainErr(t, err, CodeConfirmationLocked, "")
}

func TestContactEvents_OldStreamsWithoutValueStillFold(t *testing.T) {
	// Failures and locks stored before contacts were addressed by value
	// carry only the channel: they fold onto that channel's contact.
	history := append(registeredHistory(t),
		ContactConfirmationRequested{Channel: ChannelPhone, Value: "+79161234567", CodeHash: hasher.HashCode(acctID, ChannelPhone, "123456"),
			ExpiresAt: acctT0.Add(PhoneCodeTTL), ResendAfter: acctT0.Add(ResendInterval), OccurredAt: acctT0},
		ContactConfirmationFailed{Channel: ChannelPhone, AttemptsLeft: 2, OccurredAt: acctT0},
		ContactConfirmationFailed{Channel: ChannelEmail, AttemptsLeft: 1, OccurredAt: acctT0},
		ContactConfirmationLocked{Channel: ChannelEmail, Until: acctT0.Add(time.Hour), OccurredAt: acctT0},
	)
	for i, e := range history { // through the store's encoding
		typ, v, data, err := EncodeEvent(e)
		require.NoError(t, err)
		history[i], err = DecodeEvent(typ, v, data)
		require.NoError(t, err)
	}
	a := NewAccountFromHistory(acctID, history)
	st := a.State().Contacts
	require.Len(t, st, 2)
	assert.Equal(t, 2, st[0].AttemptsLeft)
	assert.Equal(t, 0, st[1].AttemptsLeft)
	require.NotNil(t, st[1].LockedUntil)
	require.NoError(t, a.ConfirmContact(ChannelPhone, "123456", acctT0.Add(time.Minute), hasher))
}

func TestAddContact_SecondPhoneConfirmedByValue(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	require.NoError(t, a.ConfirmContact(ChannelPhone, codeFor[ChannelPhone], acctT0, hasher))

	value, code, err := a.AddContact(ChannelPhone, "8 (912) 000-11-22", "", acctT0.Add(time.Minute), draws(424242), hasher)
	require.NoError(t, err)
	assert.Equal(t, "+79120001122", value)
	assert.Equal(t, "424242", code)
	n := len(a.Changes())
	assert.Equal(t, []string{"ContactAdded", "ContactConfirmationRequested"}, changeTypes(a)[n-2:])

	// The default contact of the channel is the newest unconfirmed one.
	_, err = a.RequestContactCode(ChannelPhone, acctT0.Add(90*time.Second), draws(1), hasher)
	requireDomainErr(t, err, CodeResendTooSoon, "")
	requireDomainErr(t, a.ConfirmContactFor(ContactRef{ChannelPhone, "+79161234567"}, code, acctT0.Add(2*time.Minute), hasher),
		CodeContactAlreadyConfirmed, "phone")
	require.NoError(t, a.ConfirmContactFor(ContactRef{ChannelPhone, "+7 912 000 11 22"}, code, acctT0.Add(2*time.Minute), hasher))

	var phones []ContactState
	for _, c := range a.State().Contacts {
		if c.Channel == ChannelPhone {
			phones = append(phones, c)
		}
	}
	require.Len(t, phones, 2)
	assert.True(t, phones[0].Confirmed && phones[1].Confirmed)
	assert.Equal(t, "+79120001122", phones[1].Value)
}

func TestAddContact_Refusals(t *testing.T) {
	a := registered(t)
	at := acctT0.Add(time.Hour)
	_, _, err := a.AddContact(ChannelPhone, "+7 916 123-45-67", "", at, draws(1), hasher)
	requireDomainErr(t, err, CodeContactExists, "value")
	_, _, err = a.AddContact(ChannelPhone, "+44 20 7946 0958", "", at, draws(1), hasher)
	requireDomainErr(t, err, CodePhoneNotRussianMobile, "value")
	_, _, err = a.AddContact(ChannelEmail, "x@mailinator.com", "", at, draws(1), hasher)
	requireDomainErr(t, err, CodeEmailDisposable, "value")
	_, _, err = a.AddContact(ChannelEmail, "not-an-email", "", at, draws(1), hasher)
	requireDomainErr(t, err, CodeEmailInvalid, "value")
	_, _, err = a.AddContact(ChannelEmail, "new@example.org", "old@example.org", at, draws(1), hasher)
	requireDomainErr(t, err, CodeContactMissing, "replaces")
	_, _, err = a.AddContact(Channel{}, "x", "", at, draws(1), hasher)
	requireDomainErr(t, err, CodeValidation, "channel")
	assert.Empty(t, a.Changes(), "a refusal records nothing")

	for i := range MaxContactsPerChannel - 1 {
		_, _, err = a.AddContact(ChannelPhone, "+7912000000"+string(rune('0'+i)), "", at, draws(uint32(i)), hasher)
		require.NoError(t, err)
	}
	_, _, err = a.AddContact(ChannelPhone, "+79120000009", "", at, draws(1), hasher)
	requireDomainErr(t, err, CodeContactLimit, "")
}

func TestAddContact_RemovedAndAddedAgainKeepsItsLock(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	require.NoError(t, a.ConfirmContact(ChannelPhone, codeFor[ChannelPhone], acctT0, hasher))
	_, _, err := a.AddContact(ChannelEmail, "second@example.org", "", acctT0, draws(1), hasher)
	require.NoError(t, err)
	ref := ContactRef{ChannelEmail, "second@example.org"}
	for range MaxCodeAttempts {
		_ = a.ConfirmContactFor(ref, "999999", acctT0.Add(time.Second), hasher)
	}
	require.NoError(t, a.RemoveContact(ChannelEmail, "second@example.org", acctT0.Add(time.Minute)))
	_, _, err = a.AddContact(ChannelEmail, "second@example.org", "", acctT0.Add(2*time.Minute), draws(1), hasher)
	requireDomainErr(t, err, CodeConfirmationLocked, "")
	_, _, err = a.AddContact(ChannelEmail, "second@example.org", "", acctT0.Add(31*time.Minute), draws(7), hasher)
	require.NoError(t, err, "the lock ends as it would have")
}

func TestAddContact_ReplacesTheOldOneOnConfirmation(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelEmail, acctT0)
	require.NoError(t, a.ConfirmContact(ChannelEmail, codeFor[ChannelEmail], acctT0, hasher))
	_, code, err := a.AddContact(ChannelEmail, "new@example.org", "Alisher@Example.uz", acctT0, draws(5), hasher)
	require.NoError(t, err)
	require.NoError(t, a.ConfirmContactFor(ContactRef{ChannelEmail, "new@example.org"}, code, acctT0.Add(time.Minute), hasher))
	last := a.Changes()[len(a.Changes())-1]
	assert.Equal(t, ContactRemoved{Channel: ChannelEmail, Value: "alisher@example.uz", WasConfirmed: true, OccurredAt: acctT0.Add(time.Minute)}, last)
	var emails []string
	for _, c := range a.State().Contacts {
		if c.Channel == ChannelEmail {
			emails = append(emails, c.Value)
		}
	}
	assert.Equal(t, []string{"new@example.org"}, emails)
}

func TestRemoveContact_NeverTheLastConfirmedOne(t *testing.T) {
	a := registered(t)
	requireDomainErr(t, a.RemoveContact(ChannelPhone, "+79990000000", acctT0), CodeContactMissing, "value")
	requestCode(t, a, ChannelPhone, acctT0)
	require.NoError(t, a.ConfirmContact(ChannelPhone, codeFor[ChannelPhone], acctT0, hasher))
	requireDomainErr(t, a.RemoveContact(ChannelPhone, "+79161234567", acctT0), CodeLastContact, "")

	// An unconfirmed email may go; then the phone is the only contact.
	require.NoError(t, a.RemoveContact(ChannelEmail, "alisher@example.uz", acctT0))
	requireDomainErr(t, a.RemoveContact(ChannelPhone, "+79161234567", acctT0), CodeLastContact, "")

	// With a second confirmed contact the first may go.
	_, code, err := a.AddContact(ChannelEmail, "second@example.org", "", acctT0, draws(3), hasher)
	require.NoError(t, err)
	require.NoError(t, a.ConfirmContactFor(ContactRef{ChannelEmail, "second@example.org"}, code, acctT0, hasher))
	require.NoError(t, a.RemoveContact(ChannelPhone, "8 916 123 45 67", acctT0))
	assert.Equal(t, ContactRemoved{Channel: ChannelPhone, Value: "+79161234567", WasConfirmed: true, OccurredAt: acctT0},
		a.Changes()[len(a.Changes())-1])
	assert.Equal(t, LevelSimplified, a.State().Level)
	requireDomainErr(t, a.RemoveContact(ChannelEmail, "second@example.org", acctT0), CodeLastContact, "")
}

func TestRegister_ConsentRequired(t *testing.T) {
	for name, c := range map[string]*Consent{
		"absent":          nil,
		"not given":       {PersonalData: false, Version: CurrentConsentVersion},
		"no version":      {PersonalData: true},
		"unknown version": {PersonalData: true, Version: "1999-01"},
	} {
		r := validRegistration()
		r.Consent = c
		_, err := Register(acctID, r, acctT0)
		require.Error(t, err, name)
		requireDomainErr(t, err, CodeConsentRequired, "")
	}
	r := validRegistration()
	r.Consent, r.Surname = nil, ""
	_, err := Register(acctID, r, acctT0)
	de := requireDomainErr(t, err, CodeValidation, "")
	assert.Len(t, de.Fields, 2, "with other errors the consent is one field among them")
}

func TestWithdrawConsent_RecordsTheWithdrawalOnce(t *testing.T) {
	a := registered(t)
	require.NotNil(t, a.State().Consent)
	assert.Equal(t, CurrentConsentVersion, a.State().Consent.Version)
	requireDomainErr(t, a.WithdrawConsent("marketing", acctT0), CodeConsentNotGiven, "")
	require.NoError(t, a.WithdrawConsent(ConsentPersonalData, acctT0.Add(time.Hour)))
	assert.Equal(t, ConsentWithdrawn{Kind: ConsentPersonalData, Version: CurrentConsentVersion, OccurredAt: acctT0.Add(time.Hour)},
		a.Changes()[0])
	at, ok := a.ConsentWithdrawnAt()
	assert.True(t, ok)
	assert.Equal(t, acctT0.Add(time.Hour), at)
	requireDomainErr(t, a.WithdrawConsent(ConsentPersonalData, acctT0.Add(2*time.Hour)), CodeConsentNotGiven, "")

	old := NewAccountFromHistory(acctID, registeredHistory(t)[:1]) // registered before consent was asked
	assert.Nil(t, old.State().Consent)
	requireDomainErr(t, old.WithdrawConsent(ConsentPersonalData, acctT0), CodeConsentNotGiven, "")
}
