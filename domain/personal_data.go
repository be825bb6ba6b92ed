package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// LatinName is a person's name in Latin letters, as in a passport.
type LatinName struct {
	Surname    string `json:"surname"`
	GivenNames string `json:"given_names"`
	Patronymic string `json:"patronymic,omitempty"`
}

// BirthPlace is where a person was born: an ISO 3166-1 alpha-2 country
// code (or a former code such as SU for the USSR) and a city.
type BirthPlace struct {
	Country string `json:"country"`
	City    string `json:"city"`
}

// AddressRU is an address in Russia; PostalCode is the 6-digit index.
type AddressRU struct {
	Region     string `json:"region"`
	City       string `json:"city"`
	Street     string `json:"street"`
	House      string `json:"house"`
	Flat       string `json:"flat,omitempty"`
	PostalCode string `json:"postal_code"`
}

// PersonalData is the validated, normalised personal data (анкета) of
// docs/DOMAIN.md §3. Latin always holds ASCII spellings: derived by
// Transliterate or the citizen's own, checked ones.
type PersonalData struct {
	Surname       string     `json:"surname"`
	GivenNames    string     `json:"given_names"`
	Patronymic    string     `json:"patronymic,omitempty"`
	Latin         LatinName  `json:"latin"`
	BirthDate     Date       `json:"birth_date"`
	BirthPlace    BirthPlace `json:"birth_place"`
	Citizenship   string     `json:"citizenship"`
	AddressRU     AddressRU  `json:"address_ru"`
	AddressAbroad string     `json:"address_abroad,omitempty"`
}

// PersonalDataInput is the personal-data form as typed (the API's body):
// BirthDate is DD.MM.YYYY or YYYY-MM-DD; Latin nil means "derive it".
type PersonalDataInput struct {
	Surname       string     `json:"surname"`
	GivenNames    string     `json:"given_names"`
	Patronymic    string     `json:"patronymic,omitempty"`
	Latin         *LatinName `json:"latin,omitempty"`
	BirthDate     string     `json:"birth_date"`
	BirthPlace    BirthPlace `json:"birth_place"`
	Citizenship   string     `json:"citizenship"`
	AddressRU     AddressRU  `json:"address_ru"`
	AddressAbroad string     `json:"address_abroad,omitempty"`
}

// Limits of free-text personal-data fields, in characters.
const (
	maxPlaceLen   = 100
	maxAddressLen = 200
	maxAbroadLen  = 500
)

// formerCountryCodes are ISO 3166-3 codes of countries people were born in
// that no longer exist (the USSR, Yugoslavia, Czechoslovakia, the GDR).
var formerCountryCodes = setOf([]string{"SU", "YU", "CS", "DD"})

// Validate checks the form on today and returns it normalised. docLatin
// are the Latin names printed in the identity documents on file: a Latin
// spelling that matches one of them is accepted even if it differs from the
// transliteration. Field errors come together as validation_failed; when
// the fields are fine but a Latin spelling matches nothing, the error is
// translit_mismatch with Details expected, given and field.
func (in PersonalDataInput) Validate(today Date, docLatin []LatinName) (PersonalData, error) {
	var pd PersonalData
	var f fieldErrs
	pd.Surname = f.name("surname", in.Surname, true)
	pd.GivenNames = f.name("given_names", in.GivenNames, true)
	pd.Patronymic = f.name("patronymic", in.Patronymic, false)
	pd.BirthDate = f.birthDate(in.BirthDate, today)
	pd.BirthPlace.Country = f.birthCountry(in.BirthPlace.Country)
	pd.BirthPlace.City = f.text("birth_place.city", in.BirthPlace.City, true, maxPlaceLen)
	citizenship, err := checkCitizenship(in.Citizenship)
	f.add(err)
	pd.Citizenship = citizenship
	pd.AddressRU = f.addressRU(in.AddressRU)
	pd.AddressAbroad = f.text("address_abroad", in.AddressAbroad, false, maxAbroadLen)

	var given LatinName
	if in.Latin != nil {
		given.Surname = f.latinName("latin.surname", in.Latin.Surname, true)
		given.GivenNames = f.latinName("latin.given_names", in.Latin.GivenNames, true)
		given.Patronymic = f.latinName("latin.patronymic", in.Latin.Patronymic, false)
	}
	if err := f.err(); err != nil {
		return PersonalData{}, err
	}
	pd.Latin = LatinName{
		Surname:    Transliterate(pd.Surname),
		GivenNames: Transliterate(pd.GivenNames),
		Patronymic: Transliterate(pd.Patronymic),
	}
	// A name of only Ъ and Ь has no Latin form for a passport or a registry query.
	if pd.Latin.Surname == "" {
		f.fail("surname", CodeNameInvalid, "surname has no letters that can be written in Latin")
	}
	if pd.Latin.GivenNames == "" {
		f.fail("given_names", CodeNameInvalid, "given_names has no letters that can be written in Latin")
	}
	if err := f.err(); err != nil {
		return PersonalData{}, err
	}
	if in.Latin == nil {
		return pd, nil
	}
	if given.Patronymic == "" {
		given.Patronymic = pd.Latin.Patronymic // passports often print none
	}
	if err := matchLatinName(pd, given, docLatin); err != nil {
		return PersonalData{}, err
	}
	pd.Latin = LatinName{
		Surname:    NormalizeLatin(given.Surname),
		GivenNames: NormalizeLatin(given.GivenNames),
		Patronymic: NormalizeLatin(given.Patronymic),
	}
	return pd, nil
}

// ReasonIdentityDataChanged is the reset reason when an identity field
// was edited after verification.
const ReasonIdentityDataChanged = "identity_data_changed"

// ProvidePersonalData validates the personal data on today (the Moscow day
// of now) and records PersonalDataProvided. A Latin spelling is checked
// against the Cyrillic name and the Latin names of the identity documents
// on file (translit_mismatch); absent, it is transliterated. Edits are free
// before verification. While one is pending, an edit of an identity field
// (names, Latin, birth date or place, citizenship) cancels it
// (IdentityVerificationCancelled); after it, such an edit records
// IdentityVerificationReset: the level drops to standard until verified
// again. An address-only edit keeps the verification; an identical
// submission records nothing. A linked SNILS or INN checked against a name
// or birth date that changed must then be checked again
// (IdentifiersToRecheck).
func (a *ForeignerAccount) ProvidePersonalData(in PersonalDataInput, today Date, now time.Time) error {
	if !a.registered {
		return NewError(CodeAccountNotFound, "account %s is not registered", a.id)
	}
	var docLatin []LatinName
	for _, d := range a.identity.documents {
		if d.Latin != nil && d.state().ProvesIdentity() {
			docLatin = append(docLatin, *d.Latin)
		}
	}
	pd, err := in.Validate(today, docLatin)
	if err != nil {
		return err
	}
	old := a.identity.personal
	if old != nil && *old == pd {
		return nil
	}
	now = now.UTC()
	a.record(PersonalDataProvided{PersonalData: pd, OccurredAt: now})
	if old != nil && identityChanged(*old, pd) {
		a.identityEdited(now)
	}
	return nil
}

// identityEdited withdraws the verification that vouched for identity data
// just edited: a pending one is cancelled (IdentityVerificationCancelled),
// a verified one reset (IdentityVerificationReset, and AccountLevelLowered
// when the level drops).
func (a *ForeignerAccount) identityEdited(now time.Time) {
	switch v := a.identity.verification; v.status {
	case VerificationPending:
		a.record(IdentityVerificationCancelled{Method: v.method, Reason: ReasonIdentityDataChanged, OccurredAt: now})
	case VerificationVerified:
		before := a.Level()
		a.record(IdentityVerificationReset{Reason: ReasonIdentityDataChanged, OccurredAt: now})
		a.noteLevelDrop(before, ReasonIdentityDataChanged, now)
	}
}

// matchLatinName checks each given Latin part against its Cyrillic name or
// the same part in a document; the first mismatch is the error's Details,
// every mismatch is one of its Fields.
func matchLatinName(pd PersonalData, given LatinName, docLatin []LatinName) error {
	parts := []struct {
		field, cyrillic, latin string
		doc                    func(LatinName) string
	}{
		{"latin.surname", pd.Surname, given.Surname, func(l LatinName) string { return l.Surname }},
		{"latin.given_names", pd.GivenNames, given.GivenNames, func(l LatinName) string { return l.GivenNames }},
		{"latin.patronymic", pd.Patronymic, given.Patronymic, func(l LatinName) string { return l.Patronymic }},
	}
	var first *Error
	var fields []FieldError
	for _, p := range parts {
		docs := make([]string, 0, len(docLatin))
		for _, l := range docLatin {
			docs = append(docs, p.doc(l))
		}
		err := MatchLatin(p.cyrillic, p.latin, docs...)
		if err == nil {
			continue
		}
		e := err.(*Error)
		if first == nil {
			first = e.WithDetail("field", p.field)
		}
		fields = append(fields, FieldError{Field: p.field, Code: CodeTranslitMismatch, Message: e.Message})
	}
	if first == nil {
		return nil
	}
	first.Fields = fields
	return first
}

// identityChanged reports whether an edit touches the data a verification
// vouched for: names, their Latin spelling, birth date and place, citizenship.
// Addresses are not identity: moving house keeps the verification.
func identityChanged(old, new PersonalData) bool {
	return old.Surname != new.Surname || old.GivenNames != new.GivenNames ||
		old.Patronymic != new.Patronymic || old.Latin != new.Latin ||
		old.BirthDate != new.BirthDate || old.BirthPlace != new.BirthPlace ||
		old.Citizenship != new.Citizenship
}

// fieldErrs collects the field errors of one form.
type fieldErrs struct {
	fields []FieldError
}

func (f *fieldErrs) add(err *Error) {
	if err != nil {
		f.fields = append(f.fields, err.Fields...)
	}
}

func (f *fieldErrs) fail(field, code, msg string) {
	f.fields = append(f.fields, FieldError{Field: field, Code: code, Message: msg})
}

// err is the form's refusal: nil without field errors; the fields' own code
// when they all share one that names a rule (document_expired,
// scan_required…); validation_failed otherwise.
func (f *fieldErrs) err() error {
	if len(f.fields) == 0 {
		return nil
	}
	code := f.fields[0].Code
	for _, fe := range f.fields {
		if fe.Code != code || genericFieldCodes[code] {
			return ValidationError(f.fields)
		}
	}
	return &Error{Code: code, Message: f.fields[0].Message, Fields: f.fields}
}

// genericFieldCodes describe a field's shape, not a rule; forms failing on
// them answer validation_failed.
var genericFieldCodes = map[string]bool{
	CodeRequired: true, CodeTooLong: true, CodeNameInvalid: true, CodeDateInvalid: true,
	CodeEnum: true, CodePattern: true, CodeValidation: true, CodeCitizenshipInvalid: true,
}

func (f *fieldErrs) name(field, s string, required bool) string {
	v, err := checkName(field, s, required)
	f.add(err)
	return v
}

// latinName checks a Latin spelling: a valid name with no Cyrillic letters.
func (f *fieldErrs) latinName(field, s string, required bool) string {
	v, err := checkName(field, s, required)
	if err != nil {
		f.add(err)
		return ""
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) >= 0 {
		f.fail(field, CodeNameInvalid, field+" must be written in Latin letters")
		return ""
	}
	return v
}

func (f *fieldErrs) birthDate(s string, today Date) Date {
	if strings.TrimSpace(s) == "" {
		f.fail("birth_date", CodeRequired, "birth_date is required")
		return Date{}
	}
	d, err := ParseDate(s)
	if err == nil {
		err = ValidateBirthDate(d, today)
	}
	if err != nil {
		e := err.(*Error)
		f.fail("birth_date", e.Code, e.Message)
		return Date{}
	}
	return d
}

func (f *fieldErrs) birthCountry(s string) string {
	c := strings.ToUpper(strings.TrimSpace(s))
	_, former := formerCountryCodes[c]
	switch {
	case c == "":
		f.fail("birth_place.country", CodeRequired, "birth_place.country is required")
	case !IsCountryCode(c) && !former:
		f.fail("birth_place.country", CodeEnum, "birth_place.country must be an ISO 3166-1 alpha-2 country code")
	}
	return c
}

func (f *fieldErrs) addressRU(a AddressRU) AddressRU {
	out := AddressRU{
		Region: f.text("address_ru.region", a.Region, true, maxAddressLen),
		City:   f.text("address_ru.city", a.City, true, maxAddressLen),
		Street: f.text("address_ru.street", a.Street, true, maxAddressLen),
		House:  f.text("address_ru.house", a.House, true, maxPlaceLen),
		Flat:   f.text("address_ru.flat", a.Flat, false, maxPlaceLen),
	}
	out.PostalCode = strings.TrimSpace(a.PostalCode)
	switch {
	case out.PostalCode == "":
		f.fail("address_ru.postal_code", CodeRequired, "address_ru.postal_code is required")
	case !isDigits(out.PostalCode, 6):
		f.fail("address_ru.postal_code", CodePattern, "address_ru.postal_code must be 6 digits")
	}
	return out
}

// text normalises free text (trimmed, whitespace runs made one space) and
// refuses control characters and overlong values.
func (f *fieldErrs) text(field, s string, required bool, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	switch {
	case s == "" && required:
		f.fail(field, CodeRequired, field+" is required")
	case utf8.RuneCountInString(s) > max:
		f.fail(field, CodeTooLong, field+" is too long")
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		f.fail(field, CodePattern, field+" contains characters that cannot be printed")
	}
	return s
}

// isDigits reports whether s is exactly n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
