package domain

import (
	"slices"
	"time"
)

// Notification frequencies (docs/DOMAIN.md §7). One-time codes ignore them and
// always go at once.
const (
	FrequencyImmediate = "immediate"
	FrequencyDaily     = "daily"
	FrequencyWeekly    = "weekly"
)

var frequencies = []string{FrequencyImmediate, FrequencyDaily, FrequencyWeekly}

// NotificationPreferences are the citizen's notification settings: each
// channel on or off, how often, and "disable all", which silences every
// channel while keeping their settings for when it is lifted.
type NotificationPreferences struct {
	Email      bool   `json:"email"`
	SMS        bool   `json:"sms"`
	Push       bool   `json:"push"`
	Frequency  string `json:"frequency"`
	DisableAll bool   `json:"disabled_all"`
}

// DefaultNotificationPreferences are the settings of an account that never
// changed them: email and SMS on, push off (there is no app to push to
// until one registers), immediately.
func DefaultNotificationPreferences() NotificationPreferences {
	return NotificationPreferences{Email: true, SMS: true, Frequency: FrequencyImmediate}
}

// Wants reports whether a notification may go out on channel ("email",
// "sms" or "push") under these settings.
func (p NotificationPreferences) Wants(channel string) bool {
	if p.DisableAll {
		return false
	}
	switch channel {
	case "email":
		return p.Email
	case "sms":
		return p.SMS
	case "push":
		return p.Push
	}
	return false
}

// Validate refuses an unknown or missing frequency.
func (p NotificationPreferences) Validate() error {
	switch {
	case p.Frequency == "":
		return fieldError("frequency", CodeRequired, "frequency is required: immediate, daily or weekly")
	case !slices.Contains(frequencies, p.Frequency):
		return fieldError("frequency", CodeEnum, "frequency must be immediate, daily or weekly")
	}
	return nil
}

// NotificationPreferences returns the current settings (the defaults until
// the citizen changes them).
func (a *ForeignerAccount) NotificationPreferences() NotificationPreferences {
	if a.identity.prefs == nil {
		return DefaultNotificationPreferences()
	}
	return *a.identity.prefs
}

// SetNotificationPreferences records new settings; settings equal to the
// current ones record nothing.
func (a *ForeignerAccount) SetNotificationPreferences(p NotificationPreferences, now time.Time) error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if p == a.NotificationPreferences() {
		return nil
	}
	a.record(NotificationPreferencesChanged{NotificationPreferences: p, OccurredAt: now.UTC()})
	return nil
}
