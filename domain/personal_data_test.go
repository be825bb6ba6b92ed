package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProvidePersonalData_RecordsNormalisedDataWithDerivedLatin(t *testing.T) {
	a := simplifiedAccount(t)
	in := validPersonalData()
	in.Surname, in.AddressRU.Street = "  Каримов ", " ул.  Тверская "
	require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0))

	got := a.Changes()[len(a.Changes())-1].(PersonalDataProvided)
	assert.Equal(t, PersonalData{
		Surname: "Каримов", GivenNames: "Алишер", Patronymic: "Рустамович",
		Latin:     LatinName{Surname: "Karimov", GivenNames: "Alisher", Patronymic: "Rustamovich"},
		BirthDate: MustDate(1990, time.March, 15), BirthPlace: BirthPlace{Country: "UZ", City: "Ташкент"},
		Citizenship: "UZ",
		AddressRU:   AddressRU{Region: "Москва", City: "Москва", Street: "ул. Тверская", House: "1", Flat: "12", PostalCode: "125009"},
	}, got.PersonalData)
	assert.Equal(t, acctT0, got.OccurredAt)
	pd, ok := a.PersonalData()
	assert.True(t, ok)
	assert.Equal(t, got.PersonalData, pd)
}

func TestProvidePersonalData_FieldRules(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*PersonalDataInput)
		code  string // the field's code; the error's is the same for a rule, else validation_failed
		field string
	}{
		{"surname is required", func(p *PersonalDataInput) { p.Surname = " " }, CodeRequired, "surname"},
		{"given names are required", func(p *PersonalDataInput) { p.GivenNames = "" }, CodeRequired, "given_names"},
		{"a name does not mix scripts", func(p *PersonalDataInput) { p.Surname = "Кaримов" }, CodeNameInvalid, "surname"},
		{"a name holds no digits", func(p *PersonalDataInput) { p.Patronymic = "Рустам0вич" }, CodeNameInvalid, "patronymic"},
		{"a name has a Latin form", func(p *PersonalDataInput) { p.GivenNames = "Ъь" }, CodeNameInvalid, "given_names"},
		{"birth date is required", func(p *PersonalDataInput) { p.BirthDate = "" }, CodeRequired, "birth_date"},
		{"birth date is DD.MM.YYYY or ISO", func(p *PersonalDataInput) { p.BirthDate = "15/03/1990" }, CodeDateInvalid, "birth_date"},
		{"birth date exists in the calendar", func(p *PersonalDataInput) { p.BirthDate = "30.02.1990" }, CodeDateInvalid, "birth_date"},
		{"birth date is not in the future", func(p *PersonalDataInput) { p.BirthDate = "2026-04-02" }, CodeBirthDateInFuture, "birth_date"},
		{"the person is at least 14", func(p *PersonalDataInput) { p.BirthDate = "02.04.2012" }, CodeTooYoung, "birth_date"},
		{"birth country is required", func(p *PersonalDataInput) { p.BirthPlace.Country = "" }, CodeRequired, "birth_place.country"},
		{"birth country is an ISO code", func(p *PersonalDataInput) { p.BirthPlace.Country = "Uzbekistan" }, CodeEnum, "birth_place.country"},
		{"birth city is required", func(p *PersonalDataInput) { p.BirthPlace.City = "" }, CodeRequired, "birth_place.city"},
		{"citizenship is required", func(p *PersonalDataInput) { p.Citizenship = "" }, CodeRequired, "citizenship"},
		{"citizenship is an ISO code", func(p *PersonalDataInput) { p.Citizenship = "XX" }, CodeCitizenshipInvalid, "citizenship"},
		{"citizenship is not Russian", func(p *PersonalDataInput) { p.Citizenship = "ru" }, CodeCitizenshipInvalid, "citizenship"},
		{"region is required", func(p *PersonalDataInput) { p.AddressRU.Region = "" }, CodeRequired, "address_ru.region"},
		{"city is required", func(p *PersonalDataInput) { p.AddressRU.City = "" }, CodeRequired, "address_ru.city"},
		{"street is required", func(p *PersonalDataInput) { p.AddressRU.Street = "" }, CodeRequired, "address_ru.street"},
		{"house is required", func(p *PersonalDataInput) { p.AddressRU.House = "" }, CodeRequired, "address_ru.house"},
		{"postal code is required", func(p *PersonalDataInput) { p.AddressRU.PostalCode = "" }, CodeRequired, "address_ru.postal_code"},
		{"postal code has 6 digits", func(p *PersonalDataInput) { p.AddressRU.PostalCode = "12500" }, CodePattern, "address_ru.postal_code"},
		{"postal code is digits only", func(p *PersonalDataInput) { p.AddressRU.PostalCode = "12500A" }, CodePattern, "address_ru.postal_code"},
		{"address fields are bounded", func(p *PersonalDataInput) { p.AddressRU.Street = strings.Repeat("ж", 201) }, CodeTooLong, "address_ru.street"},
		{"free text has no control characters", func(p *PersonalDataInput) { p.AddressAbroad = "Tashkent\x00" }, CodePattern, "address_abroad"},
		{"a given Latin surname is required", func(p *PersonalDataInput) { p.Latin = &LatinName{GivenNames: "Alisher"} }, CodeRequired, "latin.surname"},
		{"a Latin name has no Cyrillic letters", func(p *PersonalDataInput) {
			p.Latin = &LatinName{Surname: "Каримов", GivenNames: "Alisher"}
		}, CodeNameInvalid, "latin.surname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := simplifiedAccount(t)
			in := validPersonalData()
			tt.edit(&in)
			err := a.ProvidePersonalData(in, idToday, acctT0)
			top := CodeValidation
			if !genericFieldCodes[tt.code] {
				top = tt.code
			}
			de := requireDomainErr(t, err, top, tt.field)
			assert.Equal(t, tt.code, de.Fields[0].Code)
			assert.Empty(t, newChanges(a, func() {}), "a refusal records nothing")
			_, ok := a.PersonalData()
			assert.False(t, ok)
		})
	}
}

func TestProvidePersonalData_ReportsEveryBadFieldAtOnce(t *testing.T) {
	in := validPersonalData()
	in.Surname, in.AddressRU.PostalCode, in.BirthDate = "", "1", "x"
	err := simplifiedAccount(t).ProvidePersonalData(in, idToday, acctT0)
	de := requireDomainErr(t, err, CodeValidation, "")
	var fields []string
	for _, f := range de.Fields {
		fields = append(fields, f.Field)
	}
	assert.ElementsMatch(t, []string{"surname", "birth_date", "address_ru.postal_code"}, fields)
}

func TestProvidePersonalData_AcceptsFormerCountriesOfBirth(t *testing.T) {
	in := validPersonalData()
	in.BirthPlace.Country = "su"
	a := simplifiedAccount(t)
	require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0))
	pd, _ := a.PersonalData()
	assert.Equal(t, "SU", pd.BirthPlace.Country)
}

func TestProvidePersonalData_LatinSpellingRules(t *testing.T) {
	mrz := DocumentInput{
		Kind: DocumentKindIdentity, Type: DocForeignPassport, Number: "AA1234567",
		IssuedAt: "2020-01-10", ExpiresAt: "2030-01-09", Issuer: "MIA",
		Latin: &LatinName{Surname: "KARIMOV", GivenNames: "ALISHER"},
	}
	tests := []struct {
		name      string
		latin     LatinName
		withDoc   bool
		want      LatinName // on success
		mismatch  string    // field of a translit_mismatch
		expected  string
		givenBack string
	}{
		{"the transliteration, any case", LatinName{Surname: "KARIMOV", GivenNames: "alisher", Patronymic: "Rustamovich"}, false,
			LatinName{Surname: "KARIMOV", GivenNames: "alisher", Patronymic: "Rustamovich"}, "", "", ""},
		{"diacritics fold to the base letter", LatinName{Surname: "Kárimov", GivenNames: "Alisher"}, false,
			LatinName{Surname: "Karimov", GivenNames: "Alisher", Patronymic: "Rustamovich"}, "", "", ""},
		{"a left-out Latin patronymic is derived", LatinName{Surname: "Karimov", GivenNames: "Alisher"}, false,
			LatinName{Surname: "Karimov", GivenNames: "Alisher", Patronymic: "Rustamovich"}, "", "", ""},
		{"another spelling without a document is a mismatch", LatinName{Surname: "Karimow", GivenNames: "Alisher"}, false,
			LatinName{}, "latin.surname", "Karimov", "Karimow"},
		{"the given names are checked too", LatinName{Surname: "Karimov", GivenNames: "Alishr"}, false,
			LatinName{}, "latin.given_names", "Alisher", "Alishr"},
		{"the document's spelling is accepted", LatinName{Surname: "Karimov", GivenNames: "Alisher"}, true,
			LatinName{Surname: "Karimov", GivenNames: "Alisher", Patronymic: "Rustamovich"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := simplifiedAccount(t)
			if tt.withDoc {
				require.NoError(t, a.AddDocument(mrz, []ScanRef{sampleScan}, nil, idToday, otherDocID, acctT0))
			}
			in := validPersonalData()
			l := tt.latin
			in.Latin = &l
			err := a.ProvidePersonalData(in, idToday, acctT0)
			if tt.mismatch == "" {
				require.NoError(t, err)
				pd, _ := a.PersonalData()
				assert.Equal(t, tt.want, pd.Latin)
				return
			}
			de := requireDomainErr(t, err, CodeTranslitMismatch, tt.mismatch)
			assert.Equal(t, tt.expected, de.Details["expected"])
			assert.Equal(t, tt.givenBack, de.Details["given"])
			assert.Equal(t, tt.mismatch, de.Details["field"])
		})
	}
}

func TestProvidePersonalData_DocumentSpellingUnlocksAMismatch(t *testing.T) {
	a := simplifiedAccount(t)
	in := validPersonalData()
	in.Latin = &LatinName{Surname: "Karimow", GivenNames: "Alisher"}
	requireDomainErr(t, a.ProvidePersonalData(in, idToday, acctT0), CodeTranslitMismatch, "latin.surname")

	doc := passportInput()
	doc.Latin = &LatinName{Surname: "KARIMOW", GivenNames: "ALISHER"}
	require.NoError(t, a.AddDocument(doc, []ScanRef{sampleScan}, nil, idToday, passportID, acctT0))
	require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0))
}

func TestProvidePersonalData_IdenticalResubmissionRecordsNothing(t *testing.T) {
	a := simplifiedAccount(t)
	require.NoError(t, a.ProvidePersonalData(validPersonalData(), idToday, acctT0))
	in := validPersonalData()
	in.BirthDate = "1990-03-15" // the same day, typed the other way
	assert.Empty(t, newChanges(a, func() { require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0.Add(time.Hour))) }))
}

func TestProvidePersonalData_EditsBeforeVerificationAreFree(t *testing.T) {
	a := standardAccount(t, true)
	in := validPersonalData()
	in.Surname = "Каримова"
	got := newChanges(a, func() { require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0)) })
	assert.Equal(t, []string{"PersonalDataProvided"}, typesOf(got))
	assert.Equal(t, VerificationNone, a.State().Verification.Status)
}

func TestProvidePersonalData_AnIdentityEditWhilePendingCancelsTheVerification(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*PersonalDataInput)
		cancel bool
	}{
		{"surname", func(p *PersonalDataInput) { p.Surname = "Каримова" }, true},
		{"birth date", func(p *PersonalDataInput) { p.BirthDate = "16.03.1990" }, true},
		{"address only", func(p *PersonalDataInput) { p.AddressRU.Flat = "13" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := pendingAccount(t, MethodBank)
			in := validPersonalData()
			tt.edit(&in)
			got := newChanges(a, func() { require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0.Add(time.Minute))) })
			if !tt.cancel {
				assert.Equal(t, []string{"PersonalDataProvided"}, typesOf(got))
				assert.Equal(t, VerificationPending, a.State().Verification.Status)
				return
			}
			assert.Equal(t, IdentityVerificationCancelled{Method: MethodBank, Reason: ReasonIdentityDataChanged,
				OccurredAt: acctT0.Add(time.Minute)}, got[1])
			assert.Equal(t, VerificationNone, a.State().Verification.Status)
			requireDomainErr(t, a.EnterVerificationCode(verifyCode, acctT0.Add(time.Minute), hasher), CodeVerificationNotPending, "")
		})
	}
}

func TestAddDocument_ANewIdentityDocumentWhilePendingCancelsTheVerification(t *testing.T) {
	a := pendingAccount(t, MethodVideo)
	in := passportInput()
	in.Number = "7654321"
	got := newChanges(a, func() { require.NoError(t, a.AddDocument(in, []ScanRef{sampleScan}, nil, idToday, otherDocID, acctT0)) })
	assert.Equal(t, []string{"DocumentAdded", "IdentityVerificationCancelled"}, typesOf(got))

	c := confirmedAccount(t)
	got = newChanges(c, func() { require.NoError(t, c.AddDocument(in, []ScanRef{sampleScan}, nil, idToday, otherDocID, acctT0)) })
	assert.Equal(t, []string{"DocumentAdded", "IdentityVerificationReset", "AccountLevelLowered"}, typesOf(got))
	assert.Equal(t, LevelStandard, c.Level(), "a new identity document is verified again")
}

func TestProvidePersonalData_AfterVerificationIdentityEditsReset(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*PersonalDataInput)
		reset bool
	}{
		{"surname", func(p *PersonalDataInput) { p.Surname = "Каримова" }, true},
		{"given names", func(p *PersonalDataInput) { p.GivenNames = "Алишер Рустам" }, true},
		{"patronymic dropped", func(p *PersonalDataInput) { p.Patronymic = "" }, true},
		{"Latin spelling", func(p *PersonalDataInput) { p.Latin = &LatinName{Surname: "KARIMOV", GivenNames: "ALISHER"} }, true},
		{"birth date", func(p *PersonalDataInput) { p.BirthDate = "16.03.1990" }, true},
		{"birth place", func(p *PersonalDataInput) { p.BirthPlace.City = "Самарканд" }, true},
		{"citizenship", func(p *PersonalDataInput) { p.Citizenship = "TJ" }, true},
		{"address in Russia", func(p *PersonalDataInput) { p.AddressRU.Flat = "13" }, false},
		{"address abroad", func(p *PersonalDataInput) { p.AddressAbroad = "Tashkent" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := confirmedAccount(t)
			in := validPersonalData()
			tt.edit(&in)
			later := acctT0.Add(2 * time.Hour)
			got := newChanges(a, func() { require.NoError(t, a.ProvidePersonalData(in, idToday, later)) })
			if !tt.reset {
				assert.Equal(t, []string{"PersonalDataProvided"}, typesOf(got))
				assert.Equal(t, LevelConfirmed, a.Level(), "an address is not identity")
				return
			}
			require.Equal(t, []string{"PersonalDataProvided", "IdentityVerificationReset", "AccountLevelLowered"}, typesOf(got))
			assert.Equal(t, IdentityVerificationReset{Reason: ReasonIdentityDataChanged, OccurredAt: later}, got[1])
			assert.Equal(t, AccountLevelLowered{From: LevelConfirmed, To: LevelStandard, Reason: ReasonIdentityDataChanged, OccurredAt: later}, got[2])
			assert.Equal(t, LevelStandard, a.Level(), "back to re-verification")
			assert.Equal(t, VerificationNone, a.State().Verification.Status)
			assert.Equal(t, ReasonIdentityDataChanged, a.State().Verification.ResetReason)
		})
	}
}

func TestProvidePersonalData_StateNamesFollowThePersonalData(t *testing.T) {
	a := simplifiedAccount(t)
	in := validPersonalData()
	in.Surname, in.Citizenship = "Каримова", "TJ"
	require.NoError(t, a.ProvidePersonalData(in, idToday, acctT0))
	s := a.State()
	assert.Equal(t, "Каримова", s.Surname)
	assert.Equal(t, "TJ", s.Citizenship)
}

func TestProvidePersonalData_UnregisteredAccountIsNotFound(t *testing.T) {
	err := NewAccountFromHistory(acctID, nil).ProvidePersonalData(validPersonalData(), idToday, acctT0)
	requireDomainErr(t, err, CodeAccountNotFound, "")
}
