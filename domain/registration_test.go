package domain

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validRegistration() Registration {
	return Registration{
		Surname: "Каримов", GivenNames: "Алишер", Patronymic: "Рустамович",
		Citizenship: "UZ", Phone: "+7 916 123-45-67", Email: "alisher@example.uz",
		Consent: CurrentConsent(),
	}
}

func TestRegistrationValidate_NormalisesAValidForm(t *testing.T) {
	in := Registration{
		Surname: "  Karimov ", GivenNames: "Alisher   Rustam", Citizenship: " uz ",
		Phone: "8 (916) 123-45-67", Email: " Alisher@Example.UZ ", Consent: CurrentConsent(),
	}
	got, err := in.Validate()
	require.NoError(t, err)
	assert.Equal(t, Registration{
		Surname: "Karimov", GivenNames: "Alisher Rustam", Citizenship: "UZ",
		Phone: "+79161234567", Email: "Alisher@example.uz", Consent: CurrentConsent(),
	}, got)
}

func TestRegistrationValidate_NameRules(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string // "" when accepted
	}{
		{"cyrillic", "Иванов", ""},
		{"latin", "Smith", ""},
		{"hyphenated", "Анна-Мария", ""},
		{"apostrophe", "O'Neil", ""},
		{"typographic apostrophe", "D’Artagnan", ""},
		{"several words", "de la Cruz", ""},
		{"latin diacritics", "Müller-Lüdenscheidt", ""},
		{"uzbek latin apostrophe", "Oʻtkir", ""}, // U+02BB, as in Uzbek passports
		{"double apostrophe", "Oʻʻtkir", CodeNameInvalid},
		{"kazakh cyrillic", "Әбілқайыр", ""},
		{"decomposed accent", "Jose\u0301", ""},
		{"exactly 100 letters", strings.Repeat("я", 100), ""},
		{"101 letters", strings.Repeat("я", 101), CodeTooLong},
		{"digits", "Ivan0v", CodeNameInvalid},
		{"dot", "St. John", CodeNameInvalid},
		{"mixed scripts", "Иванoв", CodeNameInvalid}, // Latin o
		{"leading hyphen", "-Ivanov", CodeNameInvalid},
		{"trailing hyphen", "Ivanov-", CodeNameInvalid},
		{"double hyphen", "Ivanov--Petrov", CodeNameInvalid},
		{"hyphen then space", "Ivanov- Petrov", CodeNameInvalid},
		{"leading apostrophe", "'Ivanov", CodeNameInvalid},
		{"greek", "Παπαδόπουλος", CodeNameInvalid},
		{"emoji", "Ivan🙂", CodeNameInvalid},
		{"blank", "   ", CodeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRegistration()
			r.Surname = tt.in
			_, err := r.Validate()
			if tt.code == "" {
				assert.NoError(t, err)
				return
			}
			de := requireDomainErr(t, err, CodeValidation, "surname")
			assert.Equal(t, tt.code, de.Fields[0].Code)
		})
	}
}

func TestRegistrationValidate_RequiredAndOptionalNames(t *testing.T) {
	r := validRegistration()
	r.Surname, r.GivenNames, r.Patronymic = "", "", ""
	_, err := r.Validate()
	de := requireDomainErr(t, err, CodeValidation, "")
	assert.Equal(t, []FieldError{
		{Field: "surname", Code: CodeRequired, Message: "surname is required"},
		{Field: "given_names", Code: CodeRequired, Message: "given_names is required"},
	}, de.Fields, "patronymic is optional")

	r = validRegistration()
	r.Patronymic = "Рустам0вич"
	_, err = r.Validate()
	de = requireDomainErr(t, err, CodeValidation, "patronymic")
	assert.Equal(t, CodeNameInvalid, de.Fields[0].Code, "a given patronymic follows the name rules")
}

func TestRegistrationValidate_Citizenship(t *testing.T) {
	tests := []struct {
		in   string
		want string
		code string
	}{
		{"UZ", "UZ", ""},
		{"tj", "TJ", ""},
		{" Kg ", "KG", ""},
		{"CN", "CN", ""},
		{"RU", "", CodeCitizenshipInvalid},
		{"ru", "", CodeCitizenshipInvalid},
		{"XX", "", CodeCitizenshipInvalid},
		{"XK", "", CodeCitizenshipInvalid}, // user-assigned, not official
		{"SU", "", CodeCitizenshipInvalid}, // withdrawn
		{"UZB", "", CodeCitizenshipInvalid},
		{"U", "", CodeCitizenshipInvalid},
		{"", "", CodeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r := validRegistration()
			r.Citizenship = tt.in
			got, err := r.Validate()
			if tt.code == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got.Citizenship)
				return
			}
			de := requireDomainErr(t, err, CodeValidation, "citizenship")
			assert.Equal(t, tt.code, de.Fields[0].Code)
		})
	}
}

func TestCountryCodes_AreTheOfficialList(t *testing.T) {
	assert.Len(t, countryCodes, 249)
	for c := range countryCodes {
		assert.Len(t, c, 2)
		assert.Equal(t, strings.ToUpper(c), c)
	}
	assert.True(t, IsCountryCode("AX"))
	assert.False(t, IsCountryCode("uz"), "callers upper-case first")
}

func TestRegistrationValidate_ContactRules(t *testing.T) {
	tests := []struct {
		name   string
		phone  string
		email  string
		code   string
		fields []string
	}{
		{"phone only", "89161234567", "", "", nil},
		{"email only", "", "a@example.com", "", nil},
		{"neither", "  ", "", CodeContactMissing, []string{"phone", "email"}},
		{"foreign phone alone", "+380501234567", "", CodePhoneNotRussianMobile, []string{"phone"}},
		{"garbage phone beside a good email", "12", "a@example.com", CodePhoneInvalid, []string{"phone"}},
		{"disposable email alone", "", "a@mailinator.com", CodeEmailDisposable, []string{"email"}},
		{"invalid email beside a good phone", "+79161234567", "a@b", CodeEmailInvalid, []string{"email"}},
		{"both wrong", "+380501234567", "a@mailinator.com", CodeValidation, []string{"phone", "email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRegistration()
			r.Phone, r.Email = tt.phone, tt.email
			_, err := r.Validate()
			if tt.code == "" {
				assert.NoError(t, err)
				return
			}
			de := requireDomainErr(t, err, tt.code, "")
			var fields []string
			for _, f := range de.Fields {
				fields = append(fields, f.Field)
			}
			assert.Equal(t, tt.fields, fields)
		})
	}
}

func TestRegistrationValidate_ContactErrorAmongOthersIsValidationFailed(t *testing.T) {
	r := validRegistration()
	r.Surname = ""
	r.Phone, r.Email = "", "a@mailinator.com"
	_, err := r.Validate()
	de := requireDomainErr(t, err, CodeValidation, "surname")
	require.Len(t, de.Fields, 2)
	assert.Equal(t, FieldError{Field: "email", Code: CodeEmailDisposable, Message: "disposable email domains are not accepted"}, de.Fields[1])
}
