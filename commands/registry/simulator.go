package registry

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
)

// Simulator is a deterministic STAND-IN for the external registries, for
// development, tests and walkthroughs; it asks no real registry. Its rules
// (DOMAIN.md §5):
//
//   - a checksum-valid SNILS or INN matches the person who presents it,
//   - unless it is already linked to another account on the portal
//     (ReasonLinkedElsewhere; Links answers that from durable claims),
//   - or it belongs to one of TestPersons, in which case it matches only
//     that person's name and birth date (ReasonPersonMismatch);
//   - every stay-right document is on record and every person is a
//     customer of the partner bank.
type Simulator struct {
	links   Links
	persons map[string]TestPerson // by SNILS or INN digits
}

var (
	_ PensionFund      = (*Simulator)(nil)
	_ TaxService       = (*Simulator)(nil)
	_ MigrationRecords = (*Simulator)(nil)
	_ Bank             = (*Simulator)(nil)
)

// NewSimulator builds the simulator over the portal's links and the
// fixture of TestPersons. It panics on a nil links or a fixture number
// that does not parse: both are programming errors.
func NewSimulator(links Links) *Simulator {
	if links == nil {
		panic("registry.NewSimulator: nil links")
	}
	s := &Simulator{links: links, persons: map[string]TestPerson{}}
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
