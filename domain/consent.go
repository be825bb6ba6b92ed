package domain

import (
	"slices"
	"time"
)

// Consent to the processing of personal data (docs/DOMAIN.md §12): given at
// registration under a published version of the text, withdrawn later.
const (
	// ConsentPersonalData is the kind of consent registration requires.
	ConsentPersonalData = "personal_data"
	// CurrentConsentVersion is the version of the consent text shown today.
	CurrentConsentVersion = "2026-01"
	// CodeConsentRequired: registration without consent to the current text.
	CodeConsentRequired = "consent_required"
	// CodeConsentNotGiven: withdrawing a consent the account does not hold.
	CodeConsentNotGiven = "consent_not_given"
)

// ConsentVersions are the versions of the consent text a registration may
// accept; a new text is appended here and CurrentConsentVersion moves.
var ConsentVersions = []string{CurrentConsentVersion}

// Consent is the registration form's consent: personal_data must be true
// and Version one of ConsentVersions.
type Consent struct {
	PersonalData bool
	Version      string
}

// check refuses a missing or unknown consent with consent_required.
func (c *Consent) check() *Error {
	switch {
	case c == nil || !c.PersonalData:
		return fieldError("consent.personal_data", CodeConsentRequired, "consent to the processing of personal data is required")
	case !slices.Contains(ConsentVersions, c.Version):
		return fieldError("consent.version", CodeConsentRequired, "consent must name the version of the text accepted, "+CurrentConsentVersion)
	}
	return nil
}

// ConsentGiven records that the citizen accepted version Version of the
// consent text of kind Kind.
type ConsentGiven struct {
	Kind       string    `json:"kind"`
	Version    string    `json:"version"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ConsentWithdrawn records that the citizen withdrew the consent of kind
// Kind (version Version); the account is then to be closed.
type ConsentWithdrawn struct {
	Kind       string    `json:"kind"`
	Version    string    `json:"version"`
	OccurredAt time.Time `json:"occurred_at"`
}

// EventType implements Event.
func (ConsentGiven) EventType() string { return "ConsentGiven" }

// EventType implements Event.
func (ConsentWithdrawn) EventType() string { return "ConsentWithdrawn" }

func (e ConsentGiven) occurredAt() time.Time     { return e.OccurredAt }
func (e ConsentWithdrawn) occurredAt() time.Time { return e.OccurredAt }

// ConsentState is an account's consent to personal data processing.
type ConsentState struct {
	Version     string     `json:"version"`
	GivenAt     time.Time  `json:"given_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

// consent is the fold of the consent events; version "" is none given
// (accounts registered before consent was asked).
type consent struct {
	version     string
	givenAt     time.Time
	withdrawnAt time.Time
}

func (c *consent) apply(e Event) bool {
	switch e := e.(type) {
	case ConsentGiven:
		if e.Kind == ConsentPersonalData {
			*c = consent{version: e.Version, givenAt: e.OccurredAt}
		}
	case ConsentWithdrawn:
		if e.Kind == ConsentPersonalData {
			c.withdrawnAt = e.OccurredAt
		}
	default:
		return false
	}
	return true
}

func (c consent) state() *ConsentState {
	if c.version == "" {
		return nil
	}
	s := &ConsentState{Version: c.version, GivenAt: c.givenAt}
	if !c.withdrawnAt.IsZero() {
		s.WithdrawnAt = timePtr(c.withdrawnAt)
	}
	return s
}

// WithdrawConsent withdraws the consent of kind (only personal_data
// exists), recording ConsentWithdrawn; refused with consent_not_given when
// there is none in force. Closing the account follows from it.
func (a *ForeignerAccount) WithdrawConsent(kind string, now time.Time) error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	if kind != ConsentPersonalData {
		return NewError(CodeConsentNotGiven, "there is no consent of kind %q", kind)
	}
	if a.consent.version == "" || !a.consent.withdrawnAt.IsZero() {
		return NewError(CodeConsentNotGiven, "no consent to the processing of personal data is in force")
	}
	a.record(ConsentWithdrawn{Kind: kind, Version: a.consent.version, OccurredAt: now.UTC()})
	return nil
}

// ConsentWithdrawnAt reports when the personal data consent was withdrawn;
// false while it is in force or was never given.
func (a *ForeignerAccount) ConsentWithdrawnAt() (time.Time, bool) {
	return a.consent.withdrawnAt, !a.consent.withdrawnAt.IsZero()
}

// CurrentConsent is consent to the current text, as a registration form
// that ticked the box carries it.
func CurrentConsent() *Consent {
	return &Consent{PersonalData: true, Version: CurrentConsentVersion}
}
