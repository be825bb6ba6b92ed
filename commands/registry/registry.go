// Package registry holds the ports to the external state registries that
// identity checks consult (docs/DOMAIN.md §5): the MVD's migration records, the
// pension fund (SNILS), the tax service (INN) and partner banks. The
// embedded default is Simulator, a deterministic stand-in for all four;
// production adapters implement the same small interfaces.
package registry

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// Person is who a registry is asked about: the name and birth date from
// the account's personal data.
type Person struct {
	Surname    string
	GivenNames string
	Patronymic string
	Latin      domain.LatinName
	BirthDate  domain.Date
}

// PersonFrom takes the registry's view of personal data.
func PersonFrom(pd domain.PersonalData) Person {
	return Person{
		Surname: pd.Surname, GivenNames: pd.GivenNames, Patronymic: pd.Patronymic,
		Latin: pd.Latin, BirthDate: pd.BirthDate,
	}
}

// Verdict is a registry's answer. Reason says why a check did not match,
// in the registry's words (stored with the refusal in the account's history).
type Verdict struct {
	Match  bool
	Reason string
}

// Reasons the simulator gives for a mismatch.
const (
	// ReasonLinkedElsewhere: the number is already linked to another account.
	ReasonLinkedElsewhere = "linked_to_another_account"
	// ReasonPersonMismatch: the registry holds the number for someone else.
	ReasonPersonMismatch = "person_mismatch"
)

// PensionFund is the pension fund's registry of SNILS numbers.
type PensionFund interface {
	// CheckSnils asks whether snils belongs to p, presented by account.
	CheckSnils(ctx context.Context, account uuid.UUID, snils domain.Snils, p Person) (Verdict, error)
}

// TaxService is the tax service's registry of INNs.
type TaxService interface {
	// CheckInn asks whether inn belongs to p, presented by account.
	CheckInn(ctx context.Context, account uuid.UUID, inn domain.Inn, p Person) (Verdict, error)
}

// StayDocument is a stay-right document as the migration records know it.
type StayDocument struct {
	Type      string
	Series    string
	Number    string
	ExpiresAt domain.Date
}

// MigrationRecords is the MVD's register of stay-right documents.
type MigrationRecords interface {
	// CheckStayDocument asks whether the document is on record, in force,
	// for p (p is zero when the account has no personal data yet).
	CheckStayDocument(ctx context.Context, account uuid.UUID, doc StayDocument, p Person) (Verdict, error)
}

// Bank is a partner bank that verifies its customers' identity: it sends
// them a one-time code through its own channel, to the contact it holds
// for its customer (never one the account confirmed by itself), and they
// enter it on the portal.
type Bank interface {
	// KnowsCustomer asks whether p is a customer whose identity the bank
	// checked in person, so that a bank verification may start.
	KnowsCustomer(ctx context.Context, account uuid.UUID, p Person) (Verdict, error)
	// SendCode has the bank deliver the portal's verification code to its
	// customer p through the bank's own channel.
	SendCode(ctx context.Context, account uuid.UUID, p Person, code string) error
}

// BankMessage is one message a bank sends its customer: To is the bank's
// contact for them.
type BankMessage struct {
	To        string
	AccountID uuid.UUID
	Text      string
	Code      string
}

// BankChannel carries a bank's messages to its customers (the simulator's
// is the portal's outbox, with channel "bank").
type BankChannel interface {
	Deliver(ctx context.Context, m BankMessage) error
}

// Registries bundles the ports the command handlers consult.
type Registries struct {
	Pension   PensionFund
	Tax       TaxService
	Migration MigrationRecords
	Bank      Bank
}

// IsComplete reports whether every port is set.
func (r Registries) IsComplete() bool {
	return r.Pension != nil && r.Tax != nil && r.Migration != nil && r.Bank != nil
}

// Identifier names the kind of number a link is about.
type Identifier string

// The identifiers whose links are unique across accounts.
const (
	SNILS Identifier = "snils"
	INN   Identifier = "inn"
)

// Links tells which account a SNILS or INN is linked to on the portal
// (uuid.Nil when none); the simulator consults it so a number linked to
// one account does not match a second one.
type Links interface {
	LinkedAccount(ctx context.Context, kind Identifier, digits string) (uuid.UUID, error)
}

// samePerson compares a registry's record with who is presenting a number:
// names compare case-, diacritic- and spacing-insensitively, either in
// Cyrillic or in Latin letters; the birth date must be equal.
func samePerson(rec TestPerson, p Person) bool {
	if rec.BirthDate != p.BirthDate {
		return false
	}
	full := norm(rec.Surname) == norm(p.Surname) && norm(rec.GivenNames) == norm(p.GivenNames) &&
		norm(rec.Patronymic) == norm(p.Patronymic)
	// A Latin spelling of record (as in the passport) may differ from the
	// transliteration; it may also leave the patronymic out.
	latin := norm(rec.Surname) == norm(p.Latin.Surname) && norm(rec.GivenNames) == norm(p.Latin.GivenNames)
	return full || latin
}

// norm reduces a name, Cyrillic or Latin, to lower-case Latin letters.
func norm(s string) string { return strings.ToLower(domain.Transliterate(s)) }
