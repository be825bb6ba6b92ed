package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Registration is what a foreign citizen types into the registration form.
// Phone and Email are raw input; at least one is required.
type Registration struct {
	Surname     string
	GivenNames  string
	Patronymic  string
	Citizenship string
	Phone       string
	Email       string
	// Consent to personal data processing; required (consent_required).
	Consent *Consent
}

// MaxNameLen is the longest surname, given names or patronymic accepted, in characters.
const MaxNameLen = 100

// Validate checks the form and returns it normalised (names trimmed with
// inner spaces collapsed, citizenship upper-cased, phone in E.164, email
// with a lower-case domain). All field errors are returned together as
// validation_failed, except when the only problem is a contact's — then its
// own code (phone_not_russian_mobile, email_disposable, contact_missing, …)
// is the error's code, so the API can answer with it directly.
func (r Registration) Validate() (Registration, error) {
	var out Registration
	var fields []FieldError
	add := func(err *Error) {
		if err != nil {
			fields = append(fields, err.Fields...)
		}
	}
	var err *Error
	out.Surname, err = checkName("surname", r.Surname, true)
	add(err)
	out.GivenNames, err = checkName("given_names", r.GivenNames, true)
	add(err)
	out.Patronymic, err = checkName("patronymic", r.Patronymic, false)
	add(err)
	out.Citizenship, err = checkCitizenship(r.Citizenship)
	add(err)
	out.Phone, out.Email, err = checkContacts(r.Phone, r.Email)
	add(err)
	if err := r.Consent.check(); err != nil {
		add(err)
	} else {
		c := *r.Consent
		out.Consent = &c
	}
	return out, joinFieldErrors(fields)
}

// joinFieldErrors builds the one refusal for a form's field errors.
func joinFieldErrors(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	code := fields[0].Code
	for _, f := range fields {
		if f.Code != code || !(isContactCode(f.Code) || f.Code == CodeConsentRequired) {
			return ValidationError(fields)
		}
	}
	return &Error{Code: code, Message: fields[0].Message, Fields: fields}
}

func isContactCode(code string) bool {
	switch code {
	case CodePhoneInvalid, CodePhoneNotRussianMobile, CodeEmailInvalid, CodeEmailDisposable, CodeContactMissing:
		return true
	}
	return false
}

// checkContacts parses whichever contacts were given; with neither, both
// fields carry contact_missing so a form can mark them.
func checkContacts(phone, email string) (string, string, *Error) {
	phone, email = strings.TrimSpace(phone), strings.TrimSpace(email)
	if phone == "" && email == "" {
		msg := "give a phone number or an email address"
		return "", "", &Error{Code: CodeContactMissing, Message: msg, Fields: []FieldError{
			{Field: "phone", Code: CodeContactMissing, Message: msg},
			{Field: "email", Code: CodeContactMissing, Message: msg},
		}}
	}
	var errs Error
	var err error
	if phone != "" {
		if phone, err = ParsePhone(phone); err != nil {
			errs.Fields = append(errs.Fields, err.(*Error).Fields...)
		}
	}
	if email != "" {
		if email, err = ParseEmail(email); err != nil {
			errs.Fields = append(errs.Fields, err.(*Error).Fields...)
		}
	}
	if len(errs.Fields) > 0 {
		return "", "", &errs
	}
	return phone, email, nil
}

// checkName normalises a personal name: letters of one script (Cyrillic or
// Latin, diacritics allowed), single spaces, hyphens and apostrophes between
// them. Mixing scripts inside a name is refused: "Иванoв" with a Latin "o"
// would never match the name in a document or a registry.
func checkName(field, s string, required bool) (string, *Error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		if required {
			return "", fieldError(field, CodeRequired, field+" is required")
		}
		return "", nil
	}
	if utf8.RuneCountInString(s) > MaxNameLen {
		return "", fieldError(field, CodeTooLong, field+" is longer than 100 characters")
	}
	var cyrillic, latin, afterLetter bool
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cyrillic, r) && unicode.IsLetter(r):
			cyrillic, afterLetter = true, true
		case unicode.Is(unicode.Latin, r) && unicode.IsLetter(r):
			latin, afterLetter = true, true
		case unicode.Is(unicode.Mn, r) && afterLetter:
			// a combining accent typed after its letter (decomposed input)
		case r == ' ' || r == '-' || isNameApostrophe(r):
			if !afterLetter {
				return "", fieldError(field, CodeNameInvalid, field+" must start with a letter and not repeat separators")
			}
			afterLetter = false
		default:
			return "", fieldError(field, CodeNameInvalid, field+" may contain only letters, spaces, hyphens and apostrophes")
		}
	}
	if cyrillic && latin {
		return "", fieldError(field, CodeNameInvalid, field+" mixes Cyrillic and Latin letters")
	}
	if !afterLetter {
		return "", fieldError(field, CodeNameInvalid, field+" must end with a letter")
	}
	return s, nil
}

// isNameApostrophe accepts the apostrophes people actually type, including the
// modifier letters of Uzbek Latin (Oʻ, Gʻ) and typographic quotes.
func isNameApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', 'ʻ':
		return true
	}
	return false
}

// checkCitizenship accepts an ISO 3166-1 alpha-2 code other than RU: the
// foreign-citizen section is for people who are not Russian citizens.
func checkCitizenship(s string) (string, *Error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case c == "":
		return "", fieldError("citizenship", CodeRequired, "citizenship is required")
	case !IsCountryCode(c):
		return "", fieldError("citizenship", CodeCitizenshipInvalid, "citizenship must be an ISO 3166-1 alpha-2 country code")
	case c == "RU":
		return "", fieldError("citizenship", CodeCitizenshipInvalid, "Russian citizens register in the general section, not as foreign citizens")
	}
	return c, nil
}

// IsCountryCode reports whether c is an officially assigned ISO 3166-1
// alpha-2 code (upper-case).
func IsCountryCode(c string) bool {
	_, ok := countryCodes[c]
	return ok
}

// countryCodes are the 249 officially assigned ISO 3166-1 alpha-2 codes.
var countryCodes = setOf(strings.Fields(`
	AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
	BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
	CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
	DE DJ DK DM DO DZ
	EC EE EG EH ER ES ET
	FI FJ FK FM FO FR
	GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
	HK HM HN HR HT HU
	ID IE IL IM IN IO IQ IR IS IT
	JE JM JO JP
	KE KG KH KI KM KN KP KR KW KY KZ
	LA LB LC LI LK LR LS LT LU LV LY
	MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
	NA NC NE NF NG NI NL NO NP NR NU NZ
	OM
	PA PE PF PG PH PK PL PM PN PR PS PT PW PY
	QA
	RE RO RS RU RW
	SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
	TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
	UA UG UM US UY UZ
	VA VC VE VG VI VN VU
	WF WS
	YE YT
	ZA ZM ZW
`))

func setOf(items []string) map[string]struct{} {
	m := make(map[string]struct{}, len(items))
	for _, it := range items {
		m[it] = struct{}{}
	}
	return m
}
