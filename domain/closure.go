package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Why an account was closed (AccountClosed.Reason).
const (
	// ClosedByOwner: the citizen closed it.
	ClosedByOwner = "owner"
	// ClosedConsentWithdrawn: the citizen withdrew consent to processing.
	ClosedConsentWithdrawn = "consent_withdrawn"
	// ClosedForErasure: an erasure closed an account still open.
	ClosedForErasure = "erasure"
)

// Who erased (PersonalDataErased.By for the retention job).
const ErasedByRetention = "retention"

// MaxErasureReason bounds an erasure's reason.
const MaxErasureReason = 1000

// AccountClosed records that the account was closed (docs/DOMAIN.md §11): no
// command is accepted afterwards; pending applications were withdrawn by
// the ApplicationWithdrawn events recorded before it.
type AccountClosed struct {
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	ByRole     string    `json:"by_role"`
	OccurredAt time.Time `json:"occurred_at"`
}

// PersonalDataErased records that the account's personal data was erased:
// its key is destroyed, so every personal field of its events reads as
// "[erased]" from then on (docs/DOMAIN.md §11).
type PersonalDataErased struct {
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	ByRole     string    `json:"by_role"`
	OccurredAt time.Time `json:"occurred_at"`
}

// EventType implements Event.
func (AccountClosed) EventType() string { return "AccountClosed" }

// EventType implements Event.
func (PersonalDataErased) EventType() string { return "PersonalDataErased" }

func (e AccountClosed) occurredAt() time.Time      { return e.OccurredAt }
func (e PersonalDataErased) occurredAt() time.Time { return e.OccurredAt }

// closureEventTypes are the events of closing and erasing.
var closureEventTypes = []eventType{
	typeOf[AccountClosed](1),
	typeOf[PersonalDataErased](1),
}

// closure is the account's closure state.
type closure struct {
	closedAt time.Time // zero while open
	erasedAt time.Time // zero until erased
}

func (c *closure) apply(e Event) {
	switch e := e.(type) {
	case AccountClosed:
		c.closedAt = e.OccurredAt
	case PersonalDataErased:
		c.erasedAt = e.OccurredAt
		if c.closedAt.IsZero() {
			c.closedAt = e.OccurredAt
		}
	}
}

// Closed reports whether the account was closed.
func (a *ForeignerAccount) Closed() bool { return !a.closure.closedAt.IsZero() }

// ClosedAt is when the account was closed (zero while open).
func (a *ForeignerAccount) ClosedAt() time.Time { return a.closure.closedAt }

// Erased reports whether the account's personal data was erased.
func (a *ForeignerAccount) Erased() bool { return !a.closure.erasedAt.IsZero() }

// EnsureOpen refuses any command on a closed account (account_closed).
func (a *ForeignerAccount) EnsureOpen() error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s not found", a.id)
	}
	if a.Closed() {
		return NewError(CodeAccountClosed, "the account was closed on %s", a.closure.closedAt.UTC().Format(time.DateOnly))
	}
	return nil
}

// Close closes the account: every application not yet decided is withdrawn
// (ApplicationWithdrawn, by the same actor), then AccountClosed with
// reason (ClosedByOwner, ClosedConsentWithdrawn, ClosedForErasure).
// A closed account refuses with account_closed.
func (a *ForeignerAccount) Close(reason string, actor Actor, now time.Time) error {
	if err := a.EnsureOpen(); err != nil {
		return err
	}
	switch reason {
	case ClosedByOwner, ClosedConsentWithdrawn, ClosedForErasure:
	default:
		return fieldError("reason", CodeEnum, "unknown closure reason")
	}
	now = now.UTC()
	for _, id := range a.apps.order {
		if IsFinalStatus(a.apps.byID[id].Status) {
			continue
		}
		a.record(ApplicationWithdrawn{ApplicationRef: refOf(id, actor), OccurredAt: now})
	}
	a.record(AccountClosed{Reason: reason, By: strings.TrimSpace(actor.ID), ByRole: strings.TrimSpace(actor.Role), OccurredAt: now})
	return nil
}

// ErasePersonalData records PersonalDataErased with reason (required; at
// most MaxErasureReason characters), closing the account first if it is
// still open. Erasing twice is refused (personal_data_erased).
func (a *ForeignerAccount) ErasePersonalData(reason string, actor Actor, now time.Time) error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s not found", a.id)
	}
	if a.Erased() {
		return NewError(CodePersonalDataErased, "the account's personal data was already erased")
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return fieldError("reason", CodeRequired, "say why the personal data is erased")
	case utf8.RuneCountInString(reason) > MaxErasureReason:
		return fieldError("reason", CodeTooLong, "the reason is at most 1000 characters")
	}
	if !a.Closed() {
		if err := a.Close(ClosedForErasure, actor, now); err != nil {
			return err
		}
	}
	a.record(PersonalDataErased{Reason: reason, By: strings.TrimSpace(actor.ID), ByRole: strings.TrimSpace(actor.Role), OccurredAt: now.UTC()})
	return nil
}

// RetentionEnded reports whether a closed, not yet erased account's
// retention period after closure ended at now.
func (a *ForeignerAccount) RetentionEnded(retention time.Duration, now time.Time) bool {
	return a.Closed() && !a.Erased() && !now.Before(a.closure.closedAt.Add(retention))
}
