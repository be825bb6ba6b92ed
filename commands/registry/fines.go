package registry

import (
	"context"
	"time"

	"github.com/kabinet/kabinet/domain"
)

// FinesRegistry lists a person's unpaid-or-paid fines and debts (traffic
// police, tax service, bailiffs): the state information system of payments
// in production.
type FinesRegistry interface {
	// Fines lists what the registry holds against p, oldest first.
	Fines(ctx context.Context, p Person) ([]domain.Fine, error)
}

var _ FinesRegistry = (*Simulator)(nil)

// testFines are the simulator's fines and debts, by test person's surname:
// only the fixture's persons have any.
var testFines = map[string][]domain.Fine{
	"Каримов": {
		{ID: "18810177260000000011", Kind: "fine", Title: "Превышение скорости (ст. 12.9 ч. 2 КоАП)",
			Authority: "ЦАФАП ГИБДД ГУ МВД России по г. Москве", Amount: domain.Money{Amount: 50000, Currency: domain.CurrencyRUB},
			IssuedOn: domain.MustDate(2026, time.January, 20), DueOn: domain.MustDate(2026, time.March, 31)},
		{ID: "18209965260000000029", Kind: "debt", Title: "Налог на доходы физических лиц: пени",
			Authority: "ИФНС России № 10 по г. Москве", Amount: domain.Money{Amount: 123456, Currency: domain.CurrencyRUB},
			IssuedOn: domain.MustDate(2026, time.February, 2), DueOn: domain.MustDate(2026, time.December, 1)},
	},
	"Ли": {
		{ID: "18810150260000000037", Kind: "fine", Title: "Нарушение правил парковки (ст. 8.25 КоАП Москвы)",
			Authority: "ГКУ «АМПП»", Amount: domain.Money{Amount: 300000, Currency: domain.CurrencyRUB},
			IssuedOn: domain.MustDate(2026, time.March, 3), DueOn: domain.MustDate(2026, time.May, 3)},
	},
}

// Fines implements FinesRegistry: a test person (same name and birth date)
// has the fixture's fines; anyone else has none.
func (s *Simulator) Fines(_ context.Context, p Person) ([]domain.Fine, error) {
	for _, rec := range TestPersons() {
		if samePerson(rec, p) {
			return append([]domain.Fine(nil), testFines[rec.Surname]...), nil
		}
	}
	return nil, nil
}
