package domain

import (
	"testing"
)

// FuzzProvidePersonalData checks that any form is either refused with a
// domain error or accepted in a normal form that is a fixed point: sending
// the stored data back, Latin included, is accepted and records nothing.
func FuzzProvidePersonalData(f *testing.F) {
	f.Add("Каримов", "Алишер", "Рустамович", "", "15.03.1990", "125009")
	f.Add("Müller-Lüdenscheidt", "Hans", "", "Muller-Ludenscheidt", "1980-01-01", "101000")
	f.Add("Ъ", "Ь", "", "", "01.01.2000", "000000")
	f.Add("О’Коннор", "Щукин  Ёж", "Ильич", "OKonnor", "29.02.2000", "12345")
	f.Fuzz(func(t *testing.T, surname, given, patronymic, latinSurname, birth, postal string) {
		a := simplifiedAccount(t)
		in := validPersonalData()
		in.Surname, in.GivenNames, in.Patronymic, in.BirthDate, in.AddressRU.PostalCode = surname, given, patronymic, birth, postal
		if latinSurname != "" {
			in.Latin = &LatinName{Surname: latinSurname, GivenNames: Transliterate(given)}
		}
		err := a.ProvidePersonalData(in, idToday, acctT0)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("refusal is not a domain error: %T %v", err, err)
			}
			return
		}
		pd, ok := a.PersonalData()
		if !ok {
			t.Fatal("accepted but nothing on file")
		}
		for _, l := range []string{pd.Latin.Surname, pd.Latin.GivenNames, pd.Latin.Patronymic} {
			for i := 0; i < len(l); i++ {
				if c := l[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' || c == '-') {
					t.Fatalf("Latin spelling %q is not plain ASCII letters", l)
				}
			}
		}
		back := PersonalDataInput{
			Surname: pd.Surname, GivenNames: pd.GivenNames, Patronymic: pd.Patronymic,
			Latin: &pd.Latin, BirthDate: pd.BirthDate.Russian(), BirthPlace: pd.BirthPlace,
			Citizenship: pd.Citizenship, AddressRU: pd.AddressRU, AddressAbroad: pd.AddressAbroad,
		}
		before := len(a.Changes())
		if err := a.ProvidePersonalData(back, idToday, acctT0); err != nil {
			t.Fatalf("the stored form is refused: %v", err)
		}
		if len(a.Changes()) != before {
			t.Fatalf("the stored form sent back recorded %v", a.Changes()[before:])
		}
	})
}
