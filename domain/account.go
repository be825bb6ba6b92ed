package domain

import (
	"errors"
	"io"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Contact confirmation rules (DOMAIN.md §2).
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
	contacts     map[Channel]*contact

	identity identity     // personal data, documents, verification, SNILS/INN (identity.go)
	apps     applications // applications and their lifecycle (applications.go)
	desk     desk         // support, appointments, complaints, fines, reminders (desk.go)
}

// contact is one phone or email and its confirmation progress.
type contact struct {
	value         string
	confirmed     bool
	codeHash      string // "" when no code is pending
	codeExpiresAt time.Time
	resendAfter   time.Time
	attemptsLeft  int
	lockedUntil   time.Time
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
	return &ForeignerAccount{id: id, version: -1, contacts: map[Channel]*contact{}}
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
			a.contacts[ChannelPhone] = &contact{value: e.Phone, attemptsLeft: MaxCodeAttempts}
		}
		if e.Email != "" {
			a.contacts[ChannelEmail] = &contact{value: e.Email, attemptsLeft: MaxCodeAttempts}
		}
	case ContactConfirmationRequested:
		c := a.contactFor(e.Channel)
		c.value = e.Value
		c.codeHash, c.codeExpiresAt, c.resendAfter = e.CodeHash, e.ExpiresAt, e.ResendAfter
		c.attemptsLeft = MaxCodeAttempts
		c.lockedUntil = time.Time{}
	case ContactConfirmationFailed:
		a.contactFor(e.Channel).attemptsLeft = e.AttemptsLeft
	case ContactConfirmationLocked:
		c := a.contactFor(e.Channel)
		c.lockedUntil = e.Until
		c.attemptsLeft = 0
		c.voidCode()
	case ContactConfirmed:
		c := a.contactFor(e.Channel)
		c.value = e.Value
		c.confirmed = true
		c.voidCode()
	default:
		a.identity.apply(e)
		a.apps.apply(e)
		a.desk.apply(e)
	}
}

// contactFor returns the contact on ch, creating it if an event names a
// channel registration did not (possible only in foreign histories).
func (a *ForeignerAccount) contactFor(ch Channel) *contact {
	c, ok := a.contacts[ch]
	if !ok {
		c = &contact{attemptsLeft: MaxCodeAttempts}
		a.contacts[ch] = c
	}
	return c
}

func (c *contact) voidCode() {
	c.codeHash, c.codeExpiresAt = "", time.Time{}
}

// RequestContactCode issues a new one-time code for the contact on ch and
// returns it in clear for delivery (it is stored only as h's hash). A new
// code voids the previous one and restores the attempts. Refused when the
// contact is not on the account (contact_missing), already confirmed
// (contact_already_confirmed), locked (confirmation_locked, with until and
// retry_after) or asked for less than ResendInterval ago (resend_too_soon,
// with retry_after). rnd is the random source (crypto/rand.Reader in production).
func (a *ForeignerAccount) RequestContactCode(ch Channel, now time.Time, rnd io.Reader, h CodeHasher) (string, error) {
	if h == nil {
		return "", errors.New("domain: RequestContactCode needs a code hasher")
	}
	c, err := a.confirmable(ch, now)
	if err != nil {
		return "", err
	}
	if now.Before(c.resendAfter) {
		return "", NewError(CodeResendTooSoon, "a new code can be requested in %d s", retryAfter(now, c.resendAfter)).
			WithDetail("retry_after", retryAfter(now, c.resendAfter))
	}
	code, err := NewCode(rnd)
	if err != nil {
		return "", err
	}
	ttl := PhoneCodeTTL
	if ch == ChannelEmail {
		ttl = EmailCodeTTL
	}
	now = now.UTC()
	a.record(ContactConfirmationRequested{
		Channel:     ch,
		Value:       c.value,
		CodeHash:    h.HashCode(a.id, ch, code),
		ExpiresAt:   now.Add(ttl),
		ResendAfter: now.Add(ResendInterval),
		OccurredAt:  now,
	})
	return code, nil
}

// ConfirmContact checks a code entered for the contact on ch.
//
// A wrong code is a fact, not only a refusal: it records
// ContactConfirmationFailed and returns code_invalid (with attempts_left);
// the MaxCodeAttempts-th wrong code also records ContactConfirmationLocked,
// voids the code and returns confirmation_locked. The caller must therefore
// save Changes() even when an error is returned, or the attempt limit
// would not hold. A right code records ContactConfirmed.
//
// Refusals that record nothing: contact_missing, contact_already_confirmed,
// confirmation_locked (while locked), code_not_requested, code_expired
// (at or after the code's expiry), and code_invalid for input that is not
// six digits (it cannot match, so it costs no attempt).
func (a *ForeignerAccount) ConfirmContact(ch Channel, code string, now time.Time, h CodeHasher) error {
	if h == nil {
		return errors.New("domain: ConfirmContact needs a code hasher")
	}
	c, err := a.confirmable(ch, now)
	if err != nil {
		return err
	}
	switch {
	case c.codeHash == "":
		return NewError(CodeNoCodeRequested, "no code was requested for this %s", ch)
	case !now.Before(c.codeExpiresAt):
		return NewError(CodeCodeExpired, "the code has expired; request a new one")
	}
	code = strings.TrimSpace(code)
	if !wellFormedCode(code) {
		err := fieldError("code", CodeCodeInvalid, "the code is six digits")
		return err.WithDetail("attempts_left", c.attemptsLeft)
	}
	now = now.UTC()
	if codeMatches(c.codeHash, h.HashCode(a.id, ch, code)) {
		a.record(ContactConfirmed{Channel: ch, Value: c.value, OccurredAt: now})
		return nil
	}
	left := c.attemptsLeft - 1
	a.record(ContactConfirmationFailed{Channel: ch, AttemptsLeft: left, OccurredAt: now})
	if left > 0 {
		return NewError(CodeCodeInvalid, "wrong code; %d attempts left", left).WithDetail("attempts_left", left)
	}
	a.record(ContactConfirmationLocked{Channel: ch, Until: now.Add(ConfirmationLockDuration), OccurredAt: now})
	return lockedError(now, c.lockedUntil)
}

// confirmable finds the contact on ch and checks it may still be confirmed.
func (a *ForeignerAccount) confirmable(ch Channel, now time.Time) (*contact, error) {
	if !a.registered {
		return nil, NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	if ch.IsZero() {
		return nil, fieldError("channel", CodeValidation, "channel must be phone or email")
	}
	c, ok := a.contacts[ch]
	switch {
	case !ok:
		return nil, fieldError(ch.String(), CodeContactMissing, "the account has no "+ch.String())
	case c.confirmed:
		return nil, fieldError(ch.String(), CodeContactAlreadyConfirmed, "this "+ch.String()+" is already confirmed")
	case now.Before(c.lockedUntil):
		return nil, lockedError(now, c.lockedUntil)
	}
	return c, nil
}

func lockedError(now, until time.Time) *Error {
	return NewError(CodeConfirmationLocked, "too many wrong codes; try again after %s", until.UTC().Format(time.RFC3339)).
		WithDetail("until", until.UTC().Format(time.RFC3339)).
		WithDetail("retry_after", retryAfter(now, until))
}

// retryAfter is the whole seconds from now until t, rounded up so a client
// that waits that long is never refused again.
func retryAfter(now, t time.Time) int {
	return int(math.Ceil(t.Sub(now).Seconds()))
}
