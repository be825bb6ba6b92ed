package domain

import (
	"errors"
	"io"
	"math"
	"strings"
	"time"
)

// MaxContactsPerChannel bounds the phones (and the emails) one account may
// hold at once, removed ones not counted.
const MaxContactsPerChannel = 5

// ContactRef names one contact of an account: its channel and value. An
// empty Value means the channel's default contact (pick).
type ContactRef struct {
	Channel Channel
	Value   string
}

// contact is one phone or email and its confirmation progress. The
// attempt counter and the lock belong to the contact, not to a code: a new
// code restores neither, and a removed contact keeps them, so removing and
// adding it again restores nothing either.
type contact struct {
	channel       Channel
	value         string
	confirmed     bool
	removed       bool
	replaces      string // value of the contact on the same channel this one replaces once confirmed
	codeHash      string // "" when no code is pending
	codeExpiresAt time.Time
	resendAfter   time.Time
	attemptsLeft  int
	lockedUntil   time.Time
}

func (c *contact) voidCode() {
	c.codeHash, c.codeExpiresAt = "", time.Time{}
}

// addContact appends a contact (or brings a removed one back, with its
// counter and lock) and returns it.
func (a *ForeignerAccount) addContact(ch Channel, value string) *contact {
	if c := a.findContact(ch, value, true); c != nil {
		c.removed, c.confirmed = false, false
		return c
	}
	c := &contact{channel: ch, value: value, attemptsLeft: MaxCodeAttempts}
	a.contacts = append(a.contacts, c)
	return c
}

// findContact returns the contact on ch whose key is value's, or nil;
// withRemoved also finds removed ones.
func (a *ForeignerAccount) findContact(ch Channel, value string, withRemoved bool) *contact {
	key := ContactKey(ch, value)
	for _, c := range a.contacts {
		if c.channel == ch && (withRemoved || !c.removed) && ContactKey(ch, c.value) == key {
			return c
		}
	}
	return nil
}

// pickContact resolves ref to a contact that is not removed: by value when
// given; otherwise the newest unconfirmed contact on the channel, or, when
// all are confirmed, the first one (so that a code for it is refused as
// contact_already_confirmed).
func (a *ForeignerAccount) pickContact(ref ContactRef) *contact {
	if ref.Value != "" {
		return a.findContact(ref.Channel, ref.Value, false)
	}
	var first *contact
	for i := len(a.contacts) - 1; i >= 0; i-- {
		c := a.contacts[i]
		if c.channel != ref.Channel || c.removed {
			continue
		}
		if !c.confirmed {
			return c
		}
		first = c
	}
	return first
}

// foldContact finds the contact an event names; an event of an older
// schema (no value) means the channel's only contact of its time. An
// event naming a contact unknown here (a foreign history) creates it.
func (a *ForeignerAccount) foldContact(ch Channel, value string) *contact {
	if c := a.pickContact(ContactRef{ch, value}); c != nil {
		return c
	}
	return a.addContact(ch, value)
}

// applyContact folds the contact events; false for any other event.
func (a *ForeignerAccount) applyContact(e Event) bool {
	switch e := e.(type) {
	case ContactAdded:
		a.addContact(e.Channel, e.Value).replaces = e.Replaces
	case ContactConfirmationRequested:
		c := a.foldContact(e.Channel, e.Value)
		c.codeHash, c.codeExpiresAt, c.resendAfter = e.CodeHash, e.ExpiresAt, e.ResendAfter
		if !c.lockedUntil.IsZero() {
			// A code can be requested only once a lock has ended: the
			// lock's attempts start afresh; otherwise they carry on.
			c.attemptsLeft, c.lockedUntil = MaxCodeAttempts, time.Time{}
		}
	case ContactConfirmationFailed:
		a.foldContact(e.Channel, e.Value).attemptsLeft = e.AttemptsLeft
	case ContactConfirmationLocked:
		c := a.foldContact(e.Channel, e.Value)
		c.lockedUntil = e.Until
		c.attemptsLeft = 0
		c.voidCode()
	case ContactConfirmed:
		c := a.foldContact(e.Channel, e.Value)
		c.value = e.Value
		c.confirmed = true
		c.attemptsLeft = MaxCodeAttempts
		c.voidCode()
	case ContactRemoved:
		if c := a.findContact(e.Channel, e.Value, false); c != nil {
			c.removed, c.confirmed, c.replaces = true, false, ""
			c.voidCode()
		}
	default:
		return false
	}
	return true
}

// RequestContactCode is RequestContactCodeFor the channel's default contact.
func (a *ForeignerAccount) RequestContactCode(ch Channel, now time.Time, rnd io.Reader, h CodeHasher) (string, error) {
	return a.RequestContactCodeFor(ContactRef{Channel: ch}, now, rnd, h)
}

// RequestContactCodeFor issues a new one-time code for the contact ref and
// returns it in clear for delivery (it is stored only as h's hash). A new
// code voids the previous one; it does not restore the attempts. Refused
// when the contact is not on the account (contact_missing), already
// confirmed (contact_already_confirmed), locked (confirmation_locked, with
// until and retry_after) or asked for less than ResendInterval ago
// (resend_too_soon, with retry_after). rnd is the random source
// (crypto/rand.Reader in production).
func (a *ForeignerAccount) RequestContactCodeFor(ref ContactRef, now time.Time, rnd io.Reader, h CodeHasher) (string, error) {
	if h == nil {
		return "", errors.New("domain: RequestContactCode needs a code hasher")
	}
	c, err := a.confirmable(ref, now)
	if err != nil {
		return "", err
	}
	if now.Before(c.resendAfter) {
		return "", resendTooSoon(now, c.resendAfter)
	}
	code, err := NewCode(rnd)
	if err != nil {
		return "", err
	}
	a.recordCode(ref.Channel, c.value, code, now, h)
	return code, nil
}

// recordCode records ContactConfirmationRequested for code (its hash only).
func (a *ForeignerAccount) recordCode(ch Channel, value, code string, now time.Time, h CodeHasher) {
	ttl := PhoneCodeTTL
	if ch == ChannelEmail {
		ttl = EmailCodeTTL
	}
	now = now.UTC()
	a.record(ContactConfirmationRequested{
		Channel:     ch,
		Value:       value,
		CodeHash:    h.HashCode(a.id, ch, code),
		ExpiresAt:   now.Add(ttl),
		ResendAfter: now.Add(ResendInterval),
		OccurredAt:  now,
	})
}

func resendTooSoon(now, after time.Time) *Error {
	return NewError(CodeResendTooSoon, "a new code can be requested in %d s", retryAfter(now, after)).
		WithDetail("retry_after", retryAfter(now, after))
}

// ConfirmContact is ConfirmContactFor the channel's default contact.
func (a *ForeignerAccount) ConfirmContact(ch Channel, code string, now time.Time, h CodeHasher) error {
	return a.ConfirmContactFor(ContactRef{Channel: ch}, code, now, h)
}

// ConfirmContactFor checks a code entered for the contact ref.
//
// A wrong code is a fact, not only a refusal: it records
// ContactConfirmationFailed and returns code_invalid (with attempts_left);
// the MaxCodeAttempts-th wrong code for the contact — however many codes
// were sent between — also records ContactConfirmationLocked, voids the
// code and returns confirmation_locked. The caller must therefore save
// Changes() even when an error is returned, or the attempt limit would
// not hold. A right code records ContactConfirmed and, when the contact
// was added to replace another, ContactRemoved for that one.
//
// Refusals that record nothing: contact_missing, contact_already_confirmed,
// confirmation_locked (while locked), code_not_requested, code_expired
// (at or after the code's expiry), and code_invalid for input that is not
// six digits (it cannot match, so it costs no attempt).
func (a *ForeignerAccount) ConfirmContactFor(ref ContactRef, code string, now time.Time, h CodeHasher) error {
	if h == nil {
		return errors.New("domain: ConfirmContact needs a code hasher")
	}
	c, err := a.confirmable(ref, now)
	if err != nil {
		return err
	}
	switch {
	case c.codeHash == "":
		return NewError(CodeNoCodeRequested, "no code was requested for this %s", ref.Channel)
	case !now.Before(c.codeExpiresAt):
		return NewError(CodeCodeExpired, "the code has expired; request a new one")
	}
	code = strings.TrimSpace(code)
	if !wellFormedCode(code) {
		err := fieldError("code", CodeCodeInvalid, "the code is six digits")
		return err.WithDetail("attempts_left", c.attemptsLeft)
	}
	now = now.UTC()
	ch := ref.Channel
	if codeMatches(c.codeHash, h.HashCode(a.id, ch, code)) {
		replaced := c.replaces
		a.record(ContactConfirmed{Channel: ch, Value: c.value, OccurredAt: now})
		if old := a.findContact(ch, replaced, false); replaced != "" && old != nil && old != c {
			a.record(ContactRemoved{Channel: ch, Value: old.value, WasConfirmed: old.confirmed, OccurredAt: now})
		}
		return nil
	}
	left := c.attemptsLeft - 1
	a.record(ContactConfirmationFailed{Channel: ch, Value: c.value, AttemptsLeft: left, OccurredAt: now})
	if left > 0 {
		return NewError(CodeCodeInvalid, "wrong code; %d attempts left", left).WithDetail("attempts_left", left)
	}
	until := now.Add(ConfirmationLockDuration)
	a.record(ContactConfirmationLocked{Channel: ch, Value: c.value, Until: until, OccurredAt: now})
	return lockedError(now, until)
}

// confirmable finds the contact ref names and checks it may still be confirmed.
func (a *ForeignerAccount) confirmable(ref ContactRef, now time.Time) (*contact, error) {
	if !a.registered {
		return nil, NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	if ref.Channel.IsZero() {
		return nil, fieldError("channel", CodeValidation, "channel must be phone or email")
	}
	c := a.pickContact(ref)
	switch {
	case c == nil:
		return nil, fieldError(ref.Channel.String(), CodeContactMissing, "the account has no such "+ref.Channel.String())
	case c.confirmed:
		return nil, fieldError(ref.Channel.String(), CodeContactAlreadyConfirmed, "this "+ref.Channel.String()+" is already confirmed")
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

// ContactValue resolves ref as the contact routes do (by value, else the
// channel's default contact) and returns the stored value; false when the
// account has no such contact.
func (a *ForeignerAccount) ContactValue(ref ContactRef) (string, bool) {
	if c := a.pickContact(ref); c != nil {
		return c.value, true
	}
	return "", false
}
