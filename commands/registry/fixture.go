package registry

import (
	"time"

	"github.com/kabinet/kabinet/domain"
)

// TestPerson is a named test person the simulator's registries know: their
// SNILS and INN match only this name and birth date. README.md lists them
// as a table for walkthroughs; keep the two in step.
type TestPerson struct {
	Surname     string
	GivenNames  string
	Patronymic  string
	BirthDate   domain.Date
	Citizenship string
	Snils       string // as printed: XXX-XXX-XXX YY
	Inn         string // 12 digits
	// BankPhone is the phone the partner bank holds for the person: where
	// its verification codes go.
	BankPhone string
}

// TestPersons is the simulator's fixture. Every number is checksum-valid.
func TestPersons() []TestPerson {
	return []TestPerson{
		{
			Surname: "Каримов", GivenNames: "Азиз", Patronymic: "Бахтиярович",
			BirthDate: domain.MustDate(1990, time.March, 12), Citizenship: "UZ",
			Snils: "123-456-789 64", Inn: "770712345633", BankPhone: "+79990000101",
		},
		{
			Surname: "Ли", GivenNames: "Анна",
			BirthDate: domain.MustDate(1995, time.November, 5), Citizenship: "KR",
			Snils: "987-654-321 83", Inn: "500123456750", BankPhone: "+79990000102",
		},
		{
			Surname: "Гарсиа", GivenNames: "Мария",
			BirthDate: domain.MustDate(1988, time.July, 21), Citizenship: "ES",
			Snils: "201-301-402 61", Inn: "780198765455", BankPhone: "+79990000103",
		},
		{
			Surname: "Нгуен", GivenNames: "Ван Тхань",
			BirthDate: domain.MustDate(1985, time.January, 1), Citizenship: "VN",
			Snils: "305-410-517 14", Inn: "770700000190", BankPhone: "+79990000104",
		},
	}
}
