package domain

import (
	"time"

	"github.com/google/uuid"
)

// Contact confirmation rules (docs/DOMAIN.md §2).
const (
	// PhoneCodeTTL is how long an SMS code stays valid.
	PhoneCodeTTL = 15 * time.Minute
	// EmailCodeTTL is how long an email code stays valid.
	EmailCodeTTL = 30 * time.Minute
	// ResendInterval is the least time between two codes for one contact.
	ResendInterval = 60 * time.Second
	// MaxCodeAttempts is how many wrong codes a contact tolerates; the last one locks it.
	MaxCodeAttempts = 3
	// ConfirmationLockDuration is how long a contact stays locked after MaxCodeAttempts wrong codes.
	ConfirmationLockDuration = 30 * time.Minute
)

// ForeignerAccount is the aggregate of one foreign citizen: registration,
// contacts, identity, documents and applications, rebuilt from
// the stream account-<id>. State changes only in apply; decisions record
// events through record.
type ForeignerAccount struct {
	id      uuid.UUID
	version int64
	changes []Event

	registered   bool
	registeredAt time.Time
	surname      string
	givenNames   string
	patronymic   string
	citizenship  string
	contacts     []*contact // in the order they were added (account_contacts.go)
	consent      consent    // consent to personal data processing (consent.go)

	identity identity     // personal data, documents, verification, SNILS/INN (identity.go)
	apps     applications // applications and their lifecycle (applications.go)
	desk     desk         // support, appointments, complaints, fines, reminders (desk.go)
	closure  closure      // closure and erasure (closure.go)
	creds    credentials  // whether a password and an authenticator exist (signin.go)
}

// Register validates a registration form and starts a new account with id.
// Uniqueness of the contacts across accounts (contact_taken) is the command
// layer's to check, through ContactKey.
func Register(id uuid.UUID, in Registration, now time.Time) (*ForeignerAccount, error) {
	if id == uuid.Nil {
		return nil, fieldError("account_id", CodeRequired, "account id is required")
	}
	r, err := in.Validate()
	if err != nil {
		return nil, err
	}
	a := newAccount(id)
	a.record(AccountRegistered{
		AccountID:   id,
		Surname:     r.Surname,
		GivenNames:  r.GivenNames,
		Patronymic:  r.Patronymic,
		Citizenship: r.Citizenship,
		Phone:       r.Phone,
		Email:       r.Email,
		OccurredAt:  now.UTC(),
	})
	a.record(ConsentGiven{Kind: ConsentPersonalData, Version: r.Consent.Version, OccurredAt: now.UTC()})
	return a, nil
}

// NewAccountFromHistory rebuilds an account by folding its stored events, in
// stream order. It is rebuilding, not a constructor: it validates nothing,
// because the events are facts already decided. Version becomes len(events)-1.
func NewAccountFromHistory(id uuid.UUID, events []Event) *ForeignerAccount {
	a := newAccount(id)
	for _, e := range events {
		a.apply(e)
	}
	a.version = int64(len(events)) - 1
	return a
}

func newAccount(id uuid.UUID) *ForeignerAccount {
	return &ForeignerAccount{id: id, version: -1}
}

// ID returns the account's id.
func (a *ForeignerAccount) ID() uuid.UUID { return a.id }

// Version is the stream version of the last loaded event (-1 for a new
// account): the expected version when appending Changes.
func (a *ForeignerAccount) Version() int64 { return a.version }

// Changes returns the events recorded since loading, not yet saved, in order.
func (a *ForeignerAccount) Changes() []Event { return append([]Event(nil), a.changes...) }

// record is the only way a decision changes the account: apply the fact,
// then remember it for saving.
func (a *ForeignerAccount) record(e Event) {
	a.apply(e)
	a.changes = append(a.changes, e)
}

// apply folds one event into the state; it is the only place state changes.
// Events of other concerns leave this state as it is.
func (a *ForeignerAccount) apply(e Event) {
	switch e := e.(type) {
	case AccountRegistered:
		a.registered = true
		a.registeredAt = e.OccurredAt
		a.surname, a.givenNames, a.patronymic = e.Surname, e.GivenNames, e.Patronymic
		a.citizenship = e.Citizenship
		if e.Phone != "" {
			a.addContact(ChannelPhone, e.Phone)
		}
		if e.Email != "" {
			a.addContact(ChannelEmail, e.Email)
		}
	default:
		if a.applyContact(e) || a.consent.apply(e) {
			return
		}
		a.identity.apply(e)
		a.apps.apply(e)
		a.desk.apply(e)
		a.closure.apply(e)
		a.creds.apply(e)
	}
}
