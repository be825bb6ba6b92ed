package domain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withPersonalData(t *testing.T) *ForeignerAccount {
	t.Helper()
	a := simplifiedAccount(t)
	require.NoError(t, a.ProvidePersonalData(validPersonalData(), idToday, acctT0))
	return a
}

func TestLinkSnils(t *testing.T) {
	other := mustSnils("001-001-998 00")
	tests := []struct {
		name    string
		account func(*testing.T) *ForeignerAccount
		snils   Snils
		matches bool
		reason  string
		code    string
		field   string
		want    []Event
	}{
		{"a registry match links it", withPersonalData, validSnils, true, "", "", "",
			[]Event{SnilsLinked{Snils: validSnils, OccurredAt: acctT0}}},
		{"a registry mismatch is recorded masked and refused", withPersonalData, validSnils, false, "", CodeRegistryMismatch, "snils",
			[]Event{SnilsRejected{SnilsMasked: "***-***-*** 95", Reason: ReasonRegistryMismatch, OccurredAt: acctT0}}},
		{"the registry's reason is kept", withPersonalData, validSnils, false, "linked_elsewhere", CodeRegistryMismatch, "snils",
			[]Event{SnilsRejected{SnilsMasked: "***-***-*** 95", Reason: "linked_elsewhere", OccurredAt: acctT0}}},
		{"personal data comes first", simplifiedAccount, validSnils, true, "", CodePersonalDataRequired, "", nil},
		{"a number is required", withPersonalData, Snils{}, true, "", CodeRequired, "snils", nil},
		{"the same number again records nothing", func(t *testing.T) *ForeignerAccount { return standardAccount(t, false) }, validSnils, true, "", "", "", nil},
		{"another number is refused once linked", func(t *testing.T) *ForeignerAccount { return standardAccount(t, false) }, other, true, "", CodeSnilsAlreadyLinked, "snils", nil},
		{"an unregistered account is not found", func(*testing.T) *ForeignerAccount { return NewAccountFromHistory(acctID, nil) }, validSnils, true, "", CodeAccountNotFound, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.account(t)
			got := newChanges(a, func() {
				err := a.LinkSnils(tt.snils, tt.matches, tt.reason, acctT0)
				if tt.code == "" {
					require.NoError(t, err)
					return
				}
				requireDomainErr(t, err, tt.code, tt.field)
			})
			assertEvents(t, tt.want, got)
		})
	}
}

func TestLinkSnils_ARejectedNumberLeavesTheLevel(t *testing.T) {
	a := withPersonalData(t)
	require.NoError(t, a.AddDocument(passportInput(), []ScanRef{sampleScan}, nil, idToday, passportID, acctT0))
	require.Error(t, a.LinkSnils(validSnils, false, "", acctT0))
	assert.Equal(t, LevelSimplified, a.Level())
	assert.True(t, a.Snils().IsZero())
	require.NoError(t, a.LinkSnils(validSnils, true, "", acctT0.Add(time.Hour)), "a corrected verdict may link it later")
	assert.Equal(t, LevelStandard, a.Level())
	assert.Equal(t, validSnils, a.Snils())
}

func TestLinkInn(t *testing.T) {
	other := mustInn("123456789047")
	linked := func(t *testing.T) *ForeignerAccount {
		a := withPersonalData(t)
		require.NoError(t, a.LinkInn(validInn, true, acctT0))
		return a
	}
	tests := []struct {
		name    string
		account func(*testing.T) *ForeignerAccount
		inn     Inn
		matches bool
		code    string
		want    []Event
	}{
		{"a registry match links it", withPersonalData, validInn, true, "", []Event{InnLinked{Inn: validInn, OccurredAt: acctT0}}},
		{"a registry mismatch is recorded masked and refused", withPersonalData, validInn, false, CodeRegistryMismatch,
			[]Event{InnRejected{InnMasked: "**********59", Reason: ReasonRegistryMismatch, OccurredAt: acctT0}}},
		{"personal data comes first", simplifiedAccount, validInn, true, CodePersonalDataRequired, nil},
		{"a number is required", withPersonalData, Inn{}, true, CodeRequired, nil},
		{"the same number again records nothing", linked, validInn, true, "", nil},
		{"another number is refused once linked", linked, other, true, CodeInnAlreadyLinked, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.account(t)
			got := newChanges(a, func() {
				err := a.LinkInn(tt.inn, tt.matches, acctT0)
				if tt.code == "" {
					require.NoError(t, err)
					return
				}
				requireDomainErr(t, err, tt.code, "")
			})
			assertEvents(t, tt.want, got)
		})
	}
}

func TestNotificationPreferences_DefaultsAreEmailAndSMSImmediately(t *testing.T) {
	a := simplifiedAccount(t)
	assert.Equal(t, NotificationPreferences{Email: true, SMS: true, Frequency: FrequencyImmediate}, a.NotificationPreferences())
}

func TestSetNotificationPreferences(t *testing.T) {
	tests := []struct {
		name  string
		p     NotificationPreferences
		code  string
		field string
		saved bool
	}{
		{"push on, weekly", NotificationPreferences{Email: true, SMS: true, Push: true, Frequency: FrequencyWeekly}, "", "", true},
		{"everything disabled", NotificationPreferences{Email: true, SMS: true, Frequency: FrequencyDaily, DisableAll: true}, "", "", true},
		{"the defaults again record nothing", DefaultNotificationPreferences(), "", "", false},
		{"frequency is required", NotificationPreferences{Email: true}, CodeRequired, "frequency", false},
		{"frequency is from the list", NotificationPreferences{Frequency: "hourly"}, CodeEnum, "frequency", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := simplifiedAccount(t)
			got := newChanges(a, func() {
				err := a.SetNotificationPreferences(tt.p, acctT0)
				if tt.code == "" {
					require.NoError(t, err)
					return
				}
				requireDomainErr(t, err, tt.code, tt.field)
			})
			if !tt.saved {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, []Event{NotificationPreferencesChanged{NotificationPreferences: tt.p, OccurredAt: acctT0}}, got)
			assert.Equal(t, tt.p, a.NotificationPreferences())
			assert.Empty(t, newChanges(a, func() { require.NoError(t, a.SetNotificationPreferences(tt.p, acctT0)) }),
				"unchanged settings record nothing")
		})
	}
	requireDomainErr(t, NewAccountFromHistory(acctID, nil).SetNotificationPreferences(DefaultNotificationPreferences(), acctT0), CodeAccountNotFound, "")
}

func TestNotificationPreferences_Wants(t *testing.T) {
	p := NotificationPreferences{Email: true, Push: true, Frequency: FrequencyImmediate}
	assert.True(t, p.Wants("email"))
	assert.False(t, p.Wants("sms"))
	assert.True(t, p.Wants("push"))
	assert.False(t, p.Wants("fax"))
	p.DisableAll = true
	assert.False(t, p.Wants("email"), "disable all silences every channel")
}

// assertEvents compares recorded events, where no events is no events
// whether the slice is nil or empty.
func assertEvents(t *testing.T, want, got []Event) {
	t.Helper()
	if len(want) == 0 {
		assert.Empty(t, got)
		return
	}
	assert.Equal(t, want, got)
}

func TestIdentifiers_NameOrBirthDateChangeAsksTheRegistriesAgain(t *testing.T) {
	a := standardAccount(t, true)
	require.NoError(t, a.LinkInn(validInn, true, acctT0))
	snils, inn := a.IdentifiersToRecheck()
	assert.False(t, snils || inn, "freshly checked")

	in := validPersonalData()
	in.AddressRU.Flat = "99"
	require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0))
	snils, inn = a.IdentifiersToRecheck()
	assert.False(t, snils || inn, "an address is not what the registries checked")

	in.BirthDate = "16.03.1990"
	require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0))
	snils, inn = a.IdentifiersToRecheck()
	assert.True(t, snils)
	assert.True(t, inn)
	got := newChanges(a, func() {
		a.RecheckSnils(true, "", acctT0)
		a.RecheckInn(false, "person_mismatch", acctT0)
	})
	assert.Equal(t, []Event{
		SnilsLinked{Snils: validSnils, OccurredAt: acctT0},
		InnUnlinked{InnMasked: validInn.Masked(), Reason: "person_mismatch", OccurredAt: acctT0},
	}, got)
	snils, inn = a.IdentifiersToRecheck()
	assert.False(t, snils || inn)
	assert.True(t, a.Inn().IsZero())
	assert.Equal(t, LevelStandard, a.Level())

	a.RecheckSnils(false, "", acctT0)
	assert.True(t, a.Snils().IsZero())
	assert.Equal(t, LevelSimplified, a.Level(), "without SNILS the standard level goes")
}
