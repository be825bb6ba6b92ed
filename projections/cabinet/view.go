// Package cabinet is the personal cabinet's read model: one document per
// account with its profile, level and contacts, built from the account's
// events and served by readapi.
package cabinet

import "time"

// View is what GET /v1/accounts/{id}/cabinet shows.
type View struct {
	AccountID string    `json:"account_id"`
	Version   int64     `json:"version"`
	Profile   Profile   `json:"profile"`
	Level     string    `json:"level"`
	Contacts  []Contact `json:"contacts"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Profile is the person as registered.
type Profile struct {
	Surname      string    `json:"surname"`
	GivenNames   string    `json:"given_names"`
	Patronymic   string    `json:"patronymic,omitempty"`
	Citizenship  string    `json:"citizenship"`
	RegisteredAt time.Time `json:"registered_at"`
}

// Contact is a phone or email and how far its confirmation has come.
type Contact struct {
	Channel        string     `json:"channel"`
	Value          string     `json:"value"`
	Confirmed      bool       `json:"confirmed"`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty"`
	CodeSentAt     *time.Time `json:"code_sent_at,omitempty"`
	CodeExpiresAt  *time.Time `json:"code_expires_at,omitempty"`
	FailedAttempts int        `json:"failed_attempts"`
	LockedUntil    *time.Time `json:"locked_until,omitempty"`
}

func (v *View) contact(channel string) *Contact {
	for i := range v.Contacts {
		if v.Contacts[i].Channel == channel {
			return &v.Contacts[i]
		}
	}
	v.Contacts = append(v.Contacts, Contact{Channel: channel})
	return &v.Contacts[len(v.Contacts)-1]
}
