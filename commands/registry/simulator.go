package registry

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// Simulator is a deterministic STAND-IN for the external registries, for
// development, tests and walkthroughs; it asks no real registry. Its rules
// (docs/DOMAIN.md §5):
//
//   - a checksum-valid SNILS or INN matches the person who presents it,
//   - unless it is already linked to another account on the portal
//     (ReasonLinkedElsewhere; Links answers that from durable claims),
//   - or it belongs to one of TestPersons, in which case it matches only
//     that person's name and birth date (ReasonPersonMismatch);
//   - every stay-right document is on record and every person is a
//     customer of the partner bank, whose phone for them is the fixture's
//     BankPhone for a test person and, for anyone else, a number derived
//     from their name and birth date (BankPhoneOf); its codes go out
//     through the BankChannel it was given.
type Simulator struct {
	links   Links
	bankOut BankChannel
	persons map[string]TestPerson // by SNILS or INN digits
}

var (
	_ PensionFund      = (*Simulator)(nil)
	_ TaxService       = (*Simulator)(nil)
	_ MigrationRecords = (*Simulator)(nil)
	_ Bank             = (*Simulator)(nil)
)

// NewSimulator builds the simulator over the portal's links, the bank's
// channel and the fixture of TestPersons. It panics on a nil links or
// channel or a fixture number that does not parse: programming errors.
func NewSimulator(links Links, bankOut BankChannel) *Simulator {
	if links == nil || bankOut == nil {
		panic("registry.NewSimulator: nil links or bank channel")
	}
	s := &Simulator{links: links, bankOut: bankOut, persons: map[string]TestPerson{}}
	for _, p := range TestPersons() {
		sn, err := domain.ParseSnils(p.Snils)
		if err != nil {
			panic(fmt.Sprintf("registry: fixture SNILS %s: %v", p.Snils, err))
		}
		in, err := domain.ParseInn(p.Inn)
		if err != nil {
			panic(fmt.Sprintf("registry: fixture INN %s: %v", p.Inn, err))
		}
		s.persons[sn.Digits()] = p
		s.persons[in.String()] = p
	}
	return s
}

// Registries returns the simulator as every port.
func (s *Simulator) Registries() Registries {
	return Registries{Pension: s, Tax: s, Migration: s, Bank: s}
}

// CheckSnils implements PensionFund.
func (s *Simulator) CheckSnils(ctx context.Context, account uuid.UUID, snils domain.Snils, p Person) (Verdict, error) {
	return s.check(ctx, account, SNILS, snils.Digits(), p)
}

// CheckInn implements TaxService.
func (s *Simulator) CheckInn(ctx context.Context, account uuid.UUID, inn domain.Inn, p Person) (Verdict, error) {
	return s.check(ctx, account, INN, inn.String(), p)
}

func (s *Simulator) check(ctx context.Context, account uuid.UUID, kind Identifier, digits string, p Person) (Verdict, error) {
	owner, err := s.links.LinkedAccount(ctx, kind, digits)
	if err != nil {
		return Verdict{}, fmt.Errorf("registry simulator: %s link: %w", kind, err)
	}
	if owner != uuid.Nil && owner != account {
		return Verdict{Reason: ReasonLinkedElsewhere}, nil
	}
	if rec, ok := s.persons[digits]; ok && !samePerson(rec, p) {
		return Verdict{Reason: ReasonPersonMismatch}, nil
	}
	return Verdict{Match: true}, nil
}

// CheckStayDocument implements MigrationRecords: every document is on record.
func (s *Simulator) CheckStayDocument(context.Context, uuid.UUID, StayDocument, Person) (Verdict, error) {
	return Verdict{Match: true}, nil
}

// KnowsCustomer implements Bank: everyone is a customer.
func (s *Simulator) KnowsCustomer(context.Context, uuid.UUID, Person) (Verdict, error) {
	return Verdict{Match: true}, nil
}

// SendCode implements Bank: the code goes to BankPhoneOf(p) through the
// bank's channel.
func (s *Simulator) SendCode(ctx context.Context, account uuid.UUID, p Person, code string) error {
	err := s.bankOut.Deliver(ctx, BankMessage{
		To: BankPhoneOf(p), AccountID: account, Code: code,
		Text: fmt.Sprintf("Банк-партнёр (симулятор): код подтверждения личности на Госуслугах %s. Действует 15 минут. Никому не сообщайте код.", code),
	})
	if err != nil {
		return fmt.Errorf("registry simulator: bank code: %w", err)
	}
	return nil
}

// BankPhoneOf is the phone the simulated bank holds for p: a test
// person's BankPhone, else +7999 and seven digits derived from the name
// and birth date, so the same person always has the same bank phone.
func BankPhoneOf(p Person) string {
	for _, rec := range TestPersons() {
		if samePerson(rec, p) {
			return rec.BankPhone
		}
	}
	sum := sha256.Sum256([]byte(norm(p.Surname) + "|" + norm(p.GivenNames) + "|" + norm(p.Patronymic) + "|" + p.BirthDate.String()))
	return fmt.Sprintf("+7999%07d", binary.BigEndian.Uint32(sum[:4])%10_000_000)
}
