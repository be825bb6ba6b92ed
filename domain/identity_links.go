package domain

import (
	"time"
)

// LinkSnils records the pension-fund registry's verdict on a SNILS. The
// command layer parses the number (ParseSnils) and asks the registry port
// whether it belongs to this person's name and birth date first, then
// passes registryMatches and, on a mismatch, the registry's reason. A match
// records SnilsLinked; a mismatch records SnilsRejected (masked number
// only) and returns registry_mismatch — save Changes() even then, the
// refusal is part of the history. The same number again records nothing.
// Refused without recording: personal_data_required (the registry needs the
// name and birth date), snils_already_linked (another number is linked),
// and a field error for the zero value.
func (a *ForeignerAccount) LinkSnils(snils Snils, registryMatches bool, reason string, now time.Time) error {
	if err := a.linkable("snils", snils.IsZero()); err != nil {
		return err
	}
	switch cur := a.identity.snils; {
	case cur == snils:
		return nil
	case !cur.IsZero():
		return fieldError("snils", CodeSnilsAlreadyLinked, "a SNILS is already linked: "+cur.Masked())
	}
	now = now.UTC()
	if !registryMatches {
		if reason == "" {
			reason = ReasonRegistryMismatch
		}
		a.record(SnilsRejected{SnilsMasked: snils.Masked(), Reason: reason, OccurredAt: now})
		return fieldError("snils", CodeRegistryMismatch,
			"the pension fund registry does not hold this SNILS for this name and date of birth").
			WithDetail("reason", reason)
	}
	a.record(SnilsLinked{Snils: snils, OccurredAt: now})
	return nil
}

// LinkInn records the tax registry's verdict on a person's INN, as
// LinkSnils does: InnLinked on a match, InnRejected (masked, reason
// registry_mismatch) and the registry_mismatch error otherwise. Refused
// without recording: personal_data_required, inn_already_linked and a field
// error for the zero value.
func (a *ForeignerAccount) LinkInn(inn Inn, registryMatches bool, now time.Time) error {
	if err := a.linkable("inn", inn.IsZero()); err != nil {
		return err
	}
	switch cur := a.identity.inn; {
	case cur == inn:
		return nil
	case !cur.IsZero():
		return fieldError("inn", CodeInnAlreadyLinked, "an INN is already linked: "+cur.Masked())
	}
	now = now.UTC()
	if !registryMatches {
		a.record(InnRejected{InnMasked: inn.Masked(), Reason: ReasonRegistryMismatch, OccurredAt: now})
		return fieldError("inn", CodeRegistryMismatch,
			"the tax registry does not hold this INN for this name and date of birth")
	}
	a.record(InnLinked{Inn: inn, OccurredAt: now})
	return nil
}

func (a *ForeignerAccount) linkable(field string, zero bool) error {
	switch {
	case !a.registered:
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	case zero:
		return fieldError(field, CodeRequired, field+" is required")
	case a.identity.personal == nil:
		return NewError(CodePersonalDataRequired,
			"provide personal data first: the registry checks the number against the name and date of birth")
	}
	return nil
}

// IdentifiersToRecheck reports whether the linked SNILS and INN were
// checked against a name or birth date that has changed since: the command
// layer asks the registries again and passes their verdicts to
// RecheckSnils and RecheckInn.
func (a *ForeignerAccount) IdentifiersToRecheck() (snils, inn bool) {
	s := &a.identity
	now := s.basis()
	return !s.snils.IsZero() && s.snilsBasis != now, !s.inn.IsZero() && s.innBasis != now
}

// RecheckSnils records the pension fund's new verdict on the linked SNILS:
// SnilsLinked again on a match (checked against today's name), else
// SnilsUnlinked with the registry's reason — the standard level then
// drops until a SNILS is linked again (AccountLevelLowered). Nothing is linked: nothing recorded.
func (a *ForeignerAccount) RecheckSnils(matches bool, reason string, now time.Time) {
	cur := a.identity.snils
	if cur.IsZero() {
		return
	}
	if matches {
		a.record(SnilsLinked{Snils: cur, OccurredAt: now.UTC()})
		return
	}
	before := a.Level()
	a.record(SnilsUnlinked{SnilsMasked: cur.Masked(), Reason: orMismatch(reason), OccurredAt: now.UTC()})
	a.noteLevelDrop(before, ReasonLevelSnilsUnlinked, now)
}

// RecheckInn is RecheckSnils for the INN and the tax registry.
func (a *ForeignerAccount) RecheckInn(matches bool, reason string, now time.Time) {
	cur := a.identity.inn
	if cur.IsZero() {
		return
	}
	if matches {
		a.record(InnLinked{Inn: cur, OccurredAt: now.UTC()})
		return
	}
	a.record(InnUnlinked{InnMasked: cur.Masked(), Reason: orMismatch(reason), OccurredAt: now.UTC()})
}

func orMismatch(reason string) string {
	if reason == "" {
		return ReasonRegistryMismatch
	}
	return reason
}
