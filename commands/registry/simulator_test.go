package registry

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

type fakeLinks map[string]uuid.UUID

func (f fakeLinks) LinkedAccount(_ context.Context, kind Identifier, digits string) (uuid.UUID, error) {
	return f[string(kind)+":"+digits], nil
}

func person(surname, given, patronymic string, birth domain.Date) Person {
	return Person{
		Surname: surname, GivenNames: given, Patronymic: patronymic, BirthDate: birth,
		Latin: domain.LatinName{
			Surname: domain.Transliterate(surname), GivenNames: domain.Transliterate(given),
			Patronymic: domain.Transliterate(patronymic),
		},
	}
}

func TestSimulator_FixtureNumbersAreChecksumValid(t *testing.T) {
	for _, p := range TestPersons() {
		_, err := domain.ParseSnils(p.Snils)
		assert.NoError(t, err, p.Snils)
		_, err = domain.ParseInn(p.Inn)
		assert.NoError(t, err, p.Inn)
	}
	assert.GreaterOrEqual(t, len(TestPersons()), 3)
}

func TestSimulator_Rules(t *testing.T) {
	me, other := uuid.New(), uuid.New()
	free := mustSnils(t, "112-233-445 95")
	taken := mustSnils(t, "112-233-445 95")
	karimov := TestPersons()[0]
	kSnils := mustSnils(t, karimov.Snils)
	kInn, err := domain.ParseInn(karimov.Inn)
	require.NoError(t, err)
	stranger := person("Петров", "Иван", "", domain.MustDate(1980, time.May, 1))
	real := person(karimov.Surname, karimov.GivenNames, karimov.Patronymic, karimov.BirthDate)
	ctx := context.Background()

	cases := []struct {
		name   string
		links  fakeLinks
		snils  domain.Snils
		p      Person
		match  bool
		reason string
	}{
		{"a free valid number matches whoever presents it", fakeLinks{}, free, stranger, true, ""},
		{"a number linked to this account still matches", fakeLinks{"snils:" + taken.Digits(): me}, taken, stranger, true, ""},
		{"a number linked to another account does not", fakeLinks{"snils:" + taken.Digits(): other}, taken, stranger, false, ReasonLinkedElsewhere},
		{"a fixture number matches its person", fakeLinks{}, kSnils, real, true, ""},
		{"a fixture number refuses anyone else", fakeLinks{}, kSnils, stranger, false, ReasonPersonMismatch},
		{"a fixture number refuses another birth date", fakeLinks{}, kSnils,
			person(karimov.Surname, karimov.GivenNames, karimov.Patronymic, domain.MustDate(1991, time.March, 12)), false, ReasonPersonMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := NewSimulator(c.links, &bankSink{}).CheckSnils(ctx, me, c.snils, c.p)
			require.NoError(t, err)
			assert.Equal(t, c.match, v.Match)
			assert.Equal(t, c.reason, v.Reason)
		})
	}
	v, err := NewSimulator(fakeLinks{}, &bankSink{}).CheckInn(ctx, me, kInn, stranger)
	require.NoError(t, err)
	assert.False(t, v.Match, "fixture INN for someone else")
	latinOnly := stranger
	latinOnly.Latin = domain.LatinName{Surname: "KARIMOV", GivenNames: "Aziz"}
	latinOnly.BirthDate = karimov.BirthDate
	v, err = NewSimulator(fakeLinks{}, &bankSink{}).CheckInn(ctx, me, kInn, latinOnly)
	require.NoError(t, err)
	assert.True(t, v.Match, "the Latin name of record, patronymic left out")
}

func mustSnils(t *testing.T, s string) domain.Snils {
	t.Helper()
	v, err := domain.ParseSnils(s)
	require.NoError(t, err)
	return v
}

type bankSink struct{ got []BankMessage }

func (b *bankSink) Deliver(_ context.Context, m BankMessage) error {
	b.got = append(b.got, m)
	return nil
}

func TestSimulator_TheBankSendsCodesToItsOwnPhoneForTheCustomer(t *testing.T) {
	sink := &bankSink{}
	s := NewSimulator(fakeLinks{}, sink)
	ctx, acc := context.Background(), uuid.New()
	k := TestPersons()[0]
	require.NoError(t, s.SendCode(ctx, acc, person(k.Surname, k.GivenNames, k.Patronymic, k.BirthDate), "123456"))
	stranger := person("Петров", "Иван", "", domain.MustDate(1980, time.May, 1))
	require.NoError(t, s.SendCode(ctx, acc, stranger, "654321"))
	require.NoError(t, s.SendCode(ctx, acc, stranger, "111111"))
	require.Len(t, sink.got, 3)
	assert.Equal(t, k.BankPhone, sink.got[0].To, "a test person's bank phone")
	assert.Equal(t, "123456", sink.got[0].Code)
	assert.Equal(t, acc, sink.got[0].AccountID)
	assert.Regexp(t, `^\+7999[0-9]{7}$`, sink.got[1].To)
	assert.Equal(t, sink.got[1].To, sink.got[2].To, "the same person always has the same bank phone")
	assert.NotEqual(t, BankPhoneOf(person("Петров", "Иван", "", domain.MustDate(1980, time.May, 2))), sink.got[1].To)
}
