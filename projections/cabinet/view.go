// Package cabinet is the personal cabinet's read model: one document per
// account with its profile, personal data, level, contacts, documents,
// identity verification, SNILS and INN, notification preferences and
// application counts, built from the account's events and served by readapi.
package cabinet

import (
	"slices"
	"time"

	"github.com/kabinet/kabinet/domain"
)

// View is what GET /v1/accounts/{id}/cabinet shows. It holds SNILS and INN
// whole; Masked gives the copy everyone but the owner sees.
type View struct {
	AccountID string    `json:"account_id"`
	Version   int64     `json:"version"`
	Profile   Profile   `json:"profile"`
	Level     string    `json:"level"`
	Contacts  []Contact `json:"contacts"`
	// Consent is the consent to personal data processing; nil for
	// accounts registered before it was asked.
	Consent      *Consent             `json:"consent,omitempty"`
	PersonalData *domain.PersonalData `json:"personal_data,omitempty"`
	Documents    []Document           `json:"documents"`
	// Verification is identity verification (docs/DOMAIN.md §4): status none,
	// pending, verified or rejected, method, requested_at, deadline,
	// extended, reasons.
	Verification   domain.VerificationState `json:"identity_verification"`
	Snils          string                   `json:"snils,omitempty"`
	Inn            string                   `json:"inn,omitempty"`
	SnilsRejection *Rejection               `json:"snils_rejection,omitempty"`
	InnRejection   *Rejection               `json:"inn_rejection,omitempty"`
	// StayValid says a stay-right document is on file and in force.
	StayValid bool `json:"stay_valid"`
	// AvailableServices are the catalog codes this account may apply for.
	AvailableServices       []string                       `json:"available_services"`
	NotificationPreferences domain.NotificationPreferences `json:"notification_preferences"`
	// ApplicationCounts counts the account's applications by status.
	ApplicationCounts map[string]int `json:"application_counts"`
	// UnreadNotifications is filled at read time from the notifications
	// read model (reading a notification is not an event).
	UnreadNotifications int       `json:"unread_notifications"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// Profile is the person as registered; names and citizenship follow the
// latest personal data once there is any.
type Profile struct {
	Surname      string    `json:"surname"`
	GivenNames   string    `json:"given_names"`
	Patronymic   string    `json:"patronymic,omitempty"`
	Citizenship  string    `json:"citizenship"`
	RegisteredAt time.Time `json:"registered_at"`
}

// Consent is the consent to personal data processing: the version of the
// text accepted, when, and when it was withdrawn.
type Consent struct {
	Version     string     `json:"version"`
	GivenAt     time.Time  `json:"given_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

// Contact is a phone or email and how far its confirmation has come. An
// account may hold several of each; Replaces is the value of the contact
// this one replaces once confirmed.
type Contact struct {
	Channel        string     `json:"channel"`
	Value          string     `json:"value"`
	Confirmed      bool       `json:"confirmed"`
	AddedAt        *time.Time `json:"added_at,omitempty"`
	Replaces       string     `json:"replaces,omitempty"`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty"`
	CodeSentAt     *time.Time `json:"code_sent_at,omitempty"`
	CodeExpiresAt  *time.Time `json:"code_expires_at,omitempty"`
	FailedAttempts int        `json:"failed_attempts"`
	LockedUntil    *time.Time `json:"locked_until,omitempty"`
}

// Document is a document on file: its data and what its scans are, never
// their bytes or blob ids. Expired is set once DocumentExpired was recorded,
// or, on a view read through AsOf, once its expiry date has passed.
type Document struct {
	ID          string            `json:"document_id"`
	Kind        string            `json:"kind"`
	Type        string            `json:"type"`
	VisaKind    string            `json:"visa_kind,omitempty"`
	Series      string            `json:"series,omitempty"`
	Number      string            `json:"number"`
	IssuedAt    domain.Date       `json:"issued_at"`
	ExpiresAt   domain.Date       `json:"expires_at"`
	Issuer      string            `json:"issuer"`
	Latin       *domain.LatinName `json:"latin,omitempty"`
	Expired     bool              `json:"expired"`
	ScanCount   int               `json:"scan_count"`
	Scans       []Scan            `json:"scans"`
	Translation *Scan             `json:"translation,omitempty"`
	AddedAt     time.Time         `json:"added_at"`
}

// Scan describes one scan of a document: its format and size in bytes.
type Scan struct {
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// Rejection is the last time the registry did not confirm an identifier:
// the number as masked in the event, the reason and when.
type Rejection struct {
	Masked string    `json:"masked"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Masked returns the view as anyone but the owner sees it: SNILS and INN
// show only their last two digits (docs/DOMAIN.md §5).
func (v View) Masked() View {
	if v.Snils != "" {
		if s, err := domain.ParseSnils(v.Snils); err == nil {
			v.Snils = s.Masked()
		}
	}
	if v.Inn != "" {
		if n, err := domain.ParseInn(v.Inn); err == nil {
			v.Inn = n.Masked()
		}
	}
	return v
}

// AsOf returns the view as it stands on today (a Moscow day): documents
// past their expiry date count as expired even before the scheduler
// records DocumentExpired, so the services that need a stay in force close
// on time. The level stays the one the events earned.
func (v View) AsOf(today domain.Date) View {
	v.Documents = append([]Document{}, v.Documents...) // never null in an answer
	for i, d := range v.Documents {
		if !d.ExpiresAt.IsZero() && today.After(d.ExpiresAt) {
			v.Documents[i].Expired = true
		}
	}
	v.StayValid = v.stayValid()
	level, _ := domain.LevelFromString(v.Level)
	v.AvailableServices = domain.AvailableServices(level, v.StayValid)
	return v
}

// state is the part of an AccountState the domain's level rules read.
func (v *View) state() domain.AccountState {
	s := domain.AccountState{}
	s.PersonalData = v.PersonalData
	for _, c := range v.Contacts {
		s.Contacts = append(s.Contacts, domain.ContactState{Confirmed: c.Confirmed})
	}
	for _, d := range v.Documents {
		s.Documents = append(s.Documents, domain.DocumentSnapshot{DocumentState: d.state()})
	}
	s.Verification.Status = v.Verification.Status
	if v.Snils != "" {
		s.Snils, _ = domain.ParseSnils(v.Snils)
	}
	return s
}

func (d Document) state() domain.DocumentState {
	return domain.DocumentState{Kind: d.Kind, Type: d.Type, VisaKind: d.VisaKind, ExpiresAt: d.ExpiresAt, Expired: d.Expired}
}

// stayValid reports whether a stay-right document not marked expired is on file.
func (v *View) stayValid() bool {
	for _, d := range v.Documents {
		if s := d.state(); !s.Expired && s.ProvesStay() {
			return true
		}
	}
	return false
}

// derive recomputes what is derived from the rest with the domain's own
// rules: the level (DeriveLevel), stay validity and the services open.
func (v *View) derive() {
	level := domain.DeriveLevel(v.state())
	v.Level = level.String()
	v.StayValid = v.stayValid()
	v.AvailableServices = domain.AvailableServices(level, v.StayValid)
}

// contact returns the contact on channel whose key is value's, adding it
// when absent. An event of an older schema (no value) names the channel's
// newest unconfirmed contact, else its first, as the domain folds it.
func (v *View) contact(channel, value string) *Contact {
	ch, _ := domain.ChannelFromString(channel)
	if value == "" {
		var first *Contact
		for i := len(v.Contacts) - 1; i >= 0; i-- {
			if c := &v.Contacts[i]; c.Channel == channel {
				if !c.Confirmed {
					return c
				}
				first = c
			}
		}
		if first != nil {
			return first
		}
	}
	key := domain.ContactKey(ch, value)
	for i := range v.Contacts {
		if c := &v.Contacts[i]; c.Channel == channel && domain.ContactKey(ch, c.Value) == key {
			return c
		}
	}
	v.Contacts = append(v.Contacts, Contact{Channel: channel, Value: value})
	return &v.Contacts[len(v.Contacts)-1]
}

// removeContact drops the contact (channel, value) from the view.
func (v *View) removeContact(channel, value string) {
	ch, _ := domain.ChannelFromString(channel)
	key := domain.ContactKey(ch, value)
	v.Contacts = slices.DeleteFunc(v.Contacts, func(c Contact) bool {
		return c.Channel == channel && domain.ContactKey(ch, c.Value) == key
	})
}

func (v *View) document(id string) *Document {
	for i := range v.Documents {
		if v.Documents[i].ID == id {
			return &v.Documents[i]
		}
	}
	return nil
}
