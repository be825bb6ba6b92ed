package domain

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestState_JSONSnapshot(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	for range 3 {
		_ = a.ConfirmContact(ChannelPhone, "000000", acctT0.Add(time.Minute), hasher)
	}
	requestCode(t, a, ChannelEmail, acctT0.Add(2*time.Minute))
	require.Error(t, a.ConfirmContact(ChannelEmail, "000000", acctT0.Add(3*time.Minute), hasher))

	b, err := json.Marshal(a.State())
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"account_id": "0b7e8f4a-2c1d-4e5f-9a8b-7c6d5e4f3a2b",
		"version": 8,
		"surname": "Каримов",
		"given_names": "Алишер",
		"patronymic": "Рустамович",
		"citizenship": "UZ",
		"level": "",
		"contacts": [
			{"channel": "phone", "value": "+79161234567", "confirmed": false,
			 "attempts_left": 0, "locked_until": "2026-04-01T10:31:00Z"},
			{"channel": "email", "value": "alisher@example.uz", "confirmed": false,
			 "pending_code_expires_at": "2026-04-01T10:32:00Z", "attempts_left": 2}
		],
		"registered_at": "2026-04-01T10:00:00Z",
		"consent": {"version": "2026-01", "given_at": "2026-04-01T10:00:00Z"},
		"applications": [],
		"personal_data": null,
		"documents": [],
		"verification": {"status": "none", "extended": false},
		"notification_preferences": {"email": true, "sms": true, "push": false, "frequency": "immediate", "disabled_all": false},
		"stay_valid": false
	}`, string(b))
}

func TestState_NeverIncludesCodeHashes(t *testing.T) {
	a := registered(t)
	requestCode(t, a, ChannelPhone, acctT0)
	hash := a.Changes()[0].(ContactConfirmationRequested).CodeHash
	b, err := json.Marshal(a.State())
	require.NoError(t, err)
	assert.NotContains(t, string(b), hash)
	assert.NotContains(t, string(b), "code_hash")
}

func TestState_ContactsIsAnEmptyListNotNull(t *testing.T) {
	b, err := json.Marshal(NewAccountFromHistory(acctID, nil).State())
	require.NoError(t, err)
	assert.Contains(t, string(b), `"contacts":[]`)
}

func TestDeriveLevel_SimplifiedOnceAContactIsConfirmed(t *testing.T) {
	tests := []struct {
		name     string
		contacts []ContactState
		want     Level
	}{
		{"no contacts", nil, LevelNone},
		{"unconfirmed contacts", []ContactState{{Channel: ChannelPhone}, {Channel: ChannelEmail}}, LevelNone},
		{"confirmed phone", []ContactState{{Channel: ChannelPhone, Confirmed: true}}, LevelSimplified},
		{"confirmed email only", []ContactState{{Channel: ChannelPhone}, {Channel: ChannelEmail, Confirmed: true}}, LevelSimplified},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, DeriveLevel(AccountState{Contacts: tt.contacts}), tt.name)
	}
}

func TestLevel_EnumValues(t *testing.T) {
	for _, name := range []string{"", "simplified", "standard", "confirmed"} {
		l, err := LevelFromString(name)
		require.NoError(t, err)
		assert.Equal(t, name, l.String())
		assert.Equal(t, name == "", l.IsZero())

		b, err := json.Marshal(l)
		require.NoError(t, err)
		var back Level
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, l, back)
	}
	_, err := LevelFromString("gold")
	assert.Error(t, err)
	var l Level
	assert.Error(t, json.Unmarshal([]byte(`"gold"`), &l))
}

func TestLevel_AtLeastFollowsTheLadder(t *testing.T) {
	assert.True(t, LevelConfirmed.AtLeast(LevelStandard))
	assert.True(t, LevelStandard.AtLeast(LevelSimplified))
	assert.True(t, LevelSimplified.AtLeast(LevelSimplified))
	assert.True(t, LevelSimplified.AtLeast(LevelNone))
	assert.False(t, LevelNone.AtLeast(LevelSimplified))
	assert.False(t, LevelSimplified.AtLeast(LevelStandard))
	assert.False(t, LevelStandard.AtLeast(LevelConfirmed))
}

// scenario runs a full confirmation story and returns the account with all
// its events unsaved, so replay can be compared with the live state.
func scenario(t *testing.T) *ForeignerAccount {
	a, err := Register(acctID, validRegistration(), acctT0)
	require.NoError(t, err)
	requestCode(t, a, ChannelPhone, acctT0.Add(time.Minute))
	for range 3 {
		_ = a.ConfirmContact(ChannelPhone, "000000", acctT0.Add(2*time.Minute), hasher)
	}
	code := requestCode(t, a, ChannelEmail, acctT0.Add(3*time.Minute))
	require.Error(t, a.ConfirmContact(ChannelEmail, "000001", acctT0.Add(4*time.Minute), hasher))
	require.NoError(t, a.ConfirmContact(ChannelEmail, code, acctT0.Add(5*time.Minute), hasher))
	return a
}

func TestNewAccountFromHistory_ReproducesState(t *testing.T) {
	live := scenario(t)
	history := live.Changes()
	require.Len(t, history, 10)

	// Through the store's encoding, as the repository would load it.
	var stored []Event
	for _, e := range history {
		typ, v, data, err := EncodeEvent(e)
		require.NoError(t, err)
		back, err := DecodeEvent(typ, v, data)
		require.NoError(t, err)
		stored = append(stored, back)
	}
	replayed := NewAccountFromHistory(acctID, stored)

	assert.Equal(t, live.State(), replayed.State())
	assert.Equal(t, int64(9), replayed.Version())
	assert.Empty(t, replayed.Changes())

	wantJSON, err := json.Marshal(live.State())
	require.NoError(t, err)
	gotJSON, err := json.Marshal(replayed.State())
	require.NoError(t, err)
	assert.JSONEq(t, string(wantJSON), string(gotJSON))
}

func TestNewAccountFromHistory_EmptyIsANewAccount(t *testing.T) {
	a := NewAccountFromHistory(acctID, nil)
	assert.Equal(t, int64(-1), a.Version())
	assert.Equal(t, acctID, a.ID())
	assert.Empty(t, a.State().Contacts)
	assert.Equal(t, LevelNone, a.State().Level)
}

func TestNewAccountFromHistory_IgnoresEventsOfOtherConcerns(t *testing.T) {
	a := NewAccountFromHistory(acctID, append(registeredHistory(t), strangeEvent{}))
	assert.Equal(t, int64(2), a.Version(), "still counted for the expected version")
	assert.Equal(t, "Каримов", a.State().Surname)
}
