package domain

import (
	"errors"
	"io"
	"time"
)

// Codes of the contact changes after registration (docs/DOMAIN.md §12).
const (
	// CodeContactExists: the account already holds that contact.
	CodeContactExists = "contact_exists"
	// CodeLastContact: removing the contact would leave the account
	// without a confirmed contact (or without any contact).
	CodeLastContact = "last_contact"
	// CodeContactLimit: the account holds MaxContactsPerChannel on the channel.
	CodeContactLimit = "contact_limit"
)

// ParseContact normalises a raw value for ch by the registration rules
// (ParsePhone, ParseEmail); the error names the field "value".
func ParseContact(ch Channel, raw string) (string, error) {
	var v string
	var err error
	switch ch {
	case ChannelPhone:
		v, err = ParsePhone(raw)
	case ChannelEmail:
		v, err = ParseEmail(raw)
	default:
		return "", fieldError("channel", CodeValidation, "channel must be phone or email")
	}
	if de, ok := err.(*Error); ok {
		return "", fieldError("value", de.Code, de.Message)
	}
	return v, err
}

// AddContact adds another phone or email after registration and issues its
// first code, returned in clear for delivery: it records ContactAdded and
// ContactConfirmationRequested. With replaces (a value of a contact on the
// same channel), confirming the new contact removes that one: this is how
// a contact is changed. A contact removed earlier comes back with its
// attempt counter and lock. Refused: value not valid for the channel
// (phone_invalid, phone_not_russian_mobile, email_invalid,
// email_disposable), already on the account (contact_exists), the channel
// full (contact_limit), replaces naming no contact (contact_missing), and
// a locked contact (confirmation_locked). Uniqueness across accounts
// (contact_taken) is the command layer's, as at registration.
func (a *ForeignerAccount) AddContact(ch Channel, raw, replaces string, now time.Time, rnd io.Reader, h CodeHasher) (value, code string, err error) {
	if h == nil {
		return "", "", errors.New("domain: AddContact needs a code hasher")
	}
	if !a.registered {
		return "", "", NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	if value, err = ParseContact(ch, raw); err != nil {
		return "", "", err
	}
	if a.findContact(ch, value, false) != nil {
		return "", "", fieldError("value", CodeContactExists, "the account already has this "+ch.String())
	}
	if replaces != "" {
		old := a.findContact(ch, replaces, false)
		if old == nil {
			return "", "", fieldError("replaces", CodeContactMissing, "the account has no such "+ch.String()+" to replace")
		}
		replaces = old.value
	}
	n := 0
	for _, c := range a.contacts {
		if c.channel == ch && !c.removed {
			n++
		}
	}
	if n >= MaxContactsPerChannel {
		return "", "", NewError(CodeContactLimit, "an account holds at most %d of each kind of contact", MaxContactsPerChannel)
	}
	if c := a.findContact(ch, value, true); c != nil {
		if now.Before(c.lockedUntil) {
			return "", "", lockedError(now, c.lockedUntil)
		}
		if now.Before(c.resendAfter) {
			return "", "", resendTooSoon(now, c.resendAfter)
		}
	}
	if code, err = NewCode(rnd); err != nil {
		return "", "", err
	}
	a.record(ContactAdded{Channel: ch, Value: value, Replaces: replaces, OccurredAt: now.UTC()})
	a.recordCode(ch, value, code, now, h)
	return value, code, nil
}

// RemoveContact removes the contact (ch, value), recording ContactRemoved.
// Refused: no such contact (contact_missing), and last_contact when it is
// the account's only contact or its only confirmed one. Releasing the
// contact's claim across accounts is the command layer's.
func (a *ForeignerAccount) RemoveContact(ch Channel, value string, now time.Time) error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	c := a.findContact(ch, value, false)
	if c == nil {
		return fieldError("value", CodeContactMissing, "the account has no such "+ch.String())
	}
	others, confirmedOthers := 0, 0
	for _, o := range a.contacts {
		if o != c && !o.removed {
			others++
			if o.confirmed {
				confirmedOthers++
			}
		}
	}
	if others == 0 || (c.confirmed && confirmedOthers == 0) {
		return NewError(CodeLastContact, "the account must keep at least one confirmed contact")
	}
	a.record(ContactRemoved{Channel: ch, Value: c.value, WasConfirmed: c.confirmed, OccurredAt: now.UTC()})
	return nil
}
