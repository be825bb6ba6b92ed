package domain

import (
	_ "embed"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Codes of signing in and sessions (docs/DOMAIN.md §10).
const (
	CodePasswordWeak         = "password_weak"
	CodePasswordRequired     = "current_password_required"
	CodeInvalidCredentials   = "invalid_credentials"
	CodeAccountLocked        = "account_locked"
	CodeTooManyCodes         = "too_many_codes"
	CodeRefreshReused        = "refresh_reused"
	CodeRefreshInvalid       = "refresh_invalid"
	CodeChallengeNotFound    = "challenge_not_found"
	CodeSessionNotFound      = "session_not_found"
	CodeTotpAlreadyEnrolled  = "totp_already_enrolled"
	CodeTotpNotStarted       = "totp_not_started"
	CodeNoConfirmedContact   = "no_confirmed_contact"
	CodeCurrentPasswordWrong = "current_password_wrong"
)

// Reasons a password is weak (the reason detail of password_weak).
const (
	PasswordTooShort        = "too_short"
	PasswordTooLong         = "too_long"
	PasswordCommon          = "common"
	PasswordContainsContact = "contains_contact"
)

// Password rules (docs/DOMAIN.md §10).
const (
	// MinPasswordLength is the fewest characters (runes) a password has.
	MinPasswordLength = 8
	// MaxPasswordBytes bounds what is hashed, so a huge input cannot make
	// hashing expensive.
	MaxPasswordBytes = 256
)

// PasswordSet records that the account's first password was set. The
// password and its hash are never in the event: they live in the sign-in
// store.
type PasswordSet struct {
	OccurredAt time.Time `json:"occurred_at"`
}

// PasswordChanged records that the account's password was replaced, by the
// citizen (reason "changed") or through recovery by a code ("reset").
type PasswordChanged struct {
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

// TotpEnrolled records that the citizen enrolled an authenticator app; its
// secret is never in the event.
type TotpEnrolled struct {
	OccurredAt time.Time `json:"occurred_at"`
}

// EventType implements Event.
func (PasswordSet) EventType() string { return "PasswordSet" }

// EventType implements Event.
func (PasswordChanged) EventType() string { return "PasswordChanged" }

// EventType implements Event.
func (TotpEnrolled) EventType() string { return "TotpEnrolled" }

func (e PasswordSet) occurredAt() time.Time     { return e.OccurredAt }
func (e PasswordChanged) occurredAt() time.Time { return e.OccurredAt }
func (e TotpEnrolled) occurredAt() time.Time    { return e.OccurredAt }

// signinEventTypes are the events of a citizen's credentials.
var signinEventTypes = []eventType{
	typeOf[PasswordSet](1),
	typeOf[PasswordChanged](1),
	typeOf[TotpEnrolled](1),
}

// credentials is what the account knows of its own credentials: only
// whether they exist.
type credentials struct {
	passwordSet  bool
	totpEnrolled bool
}

func (c *credentials) apply(e Event) {
	switch e.(type) {
	case PasswordSet, PasswordChanged:
		c.passwordSet = true
	case TotpEnrolled:
		c.totpEnrolled = true
	}
}

// HasPassword reports whether a password was ever set on the account.
func (a *ForeignerAccount) HasPassword() bool { return a.creds.passwordSet }

// HasTotp reports whether the account enrolled an authenticator app.
func (a *ForeignerAccount) HasTotp() bool { return a.creds.totpEnrolled }

// RecordPassword records that a password was set (PasswordSet the first
// time, PasswordChanged with reason after). The caller has checked the
// password with CheckPassword and stored its hash.
func (a *ForeignerAccount) RecordPassword(reason string, now time.Time) {
	if !a.creds.passwordSet {
		a.record(PasswordSet{OccurredAt: now.UTC()})
		return
	}
	a.record(PasswordChanged{Reason: reason, OccurredAt: now.UTC()})
}

// EnrollTotp records TotpEnrolled; an account enrolls once
// (totp_already_enrolled).
func (a *ForeignerAccount) EnrollTotp(now time.Time) error {
	if a.creds.totpEnrolled {
		return NewError(CodeTotpAlreadyEnrolled, "an authenticator app is already enrolled")
	}
	a.record(TotpEnrolled{OccurredAt: now.UTC()})
	return nil
}

// ConfirmedContacts returns the account's confirmed contacts, phones
// first, each channel's in the order they were added.
func (a *ForeignerAccount) ConfirmedContacts() []ContactState {
	var out []ContactState
	for _, ch := range channels {
		for _, c := range a.contacts {
			if c.channel == ch && c.confirmed && !c.removed {
				out = append(out, ContactState{Channel: ch, Value: c.value, Confirmed: true})
			}
		}
	}
	return out
}

//go:embed passwords/common.txt
var commonPasswordsText string

var (
	commonOnce      sync.Once
	commonPasswords map[string]struct{}
)

// CommonPasswords is the number of passwords in the shipped list.
func CommonPasswords() int { return len(common()) }

func common() map[string]struct{} {
	commonOnce.Do(func() {
		lines := strings.Split(strings.TrimSpace(commonPasswordsText), "\n")
		commonPasswords = make(map[string]struct{}, len(lines))
		for _, l := range lines {
			commonPasswords[strings.TrimSpace(l)] = struct{}{}
		}
	})
	return commonPasswords
}

// CheckPassword applies the password rules of docs/DOMAIN.md §10: at least
// MinPasswordLength characters, at most MaxPasswordBytes bytes, not in the
// shipped list of common passwords (compared case-insensitively), and not
// containing any of contacts (a phone is also looked for without its "+"
// and as a national 8… number; an email also by its local part). A refusal
// is password_weak with the reason in its detail and field error.
func CheckPassword(pw string, contacts []string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return weakPassword(PasswordTooShort, "must have at least 8 characters")
	case len(pw) > MaxPasswordBytes:
		return weakPassword(PasswordTooLong, "must have at most 256 bytes")
	}
	lower := strings.ToLower(pw)
	if _, ok := common()[lower]; ok {
		return weakPassword(PasswordCommon, "is one of the most common passwords")
	}
	for _, c := range contacts {
		for _, form := range contactForms(c) {
			if len(form) >= 4 && strings.Contains(lower, form) {
				return weakPassword(PasswordContainsContact, "must not contain your phone or email")
			}
		}
	}
	return nil
}

// contactForms are the ways a contact may appear inside a password.
func contactForms(c string) []string {
	c = strings.ToLower(strings.TrimSpace(c))
	if c == "" {
		return nil
	}
	forms := []string{c}
	if digits, ok := strings.CutPrefix(c, "+7"); ok {
		forms = append(forms, "7"+digits, "8"+digits, digits)
	}
	if local, _, ok := strings.Cut(c, "@"); ok {
		forms = append(forms, local)
	}
	return forms
}

func weakPassword(reason, msg string) error {
	return (&Error{
		Code: CodePasswordWeak, Message: "the password " + msg,
		Fields: []FieldError{{Field: "password", Code: reason, Message: msg}},
	}).WithDetail("reason", reason)
}
