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
		"version": 7,
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
		"registered_at": "2026-04-01T10:00:00Z"
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
