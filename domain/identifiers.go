package domain

import (
	"strings"
)

// Snils is a pension insurance number (СНИЛС, docs/DOMAIN.md §5): 11 digits, the
// last two a check number over the first nine. The zero value is "no SNILS".
type Snils struct {
	digits string
}

// snilsCheckFrom is the first nine-digit number the check number applies to:
// numbers up to 001-001-998 were issued before the checksum rule existed.
const snilsCheckFrom = 1001999

// ParseSnils reads a SNILS written with or without separators
// ("112-233-445 95", "11223344595", "112 233 445 95"). It refuses anything
// that is not 11 digits (snils_invalid) and a wrong check number
// (snils_checksum) for numbers above 001-001-998.
func ParseSnils(s string) (Snils, error) {
	digits, ok := digitsOnly(s, 11)
	if !ok {
		return Snils{}, NewError(CodeSnilsInvalid, "SNILS must be 11 digits, e.g. 112-233-445 95")
	}
	number := decimal(digits[:9])
	if number == 0 {
		// 000-000-000 was never issued; accepting it would let "nothing" pass as a number.
		return Snils{}, NewError(CodeSnilsInvalid, "SNILS 000-000-000 does not exist")
	}
	if number >= snilsCheckFrom {
		want := snilsCheck(digits[:9])
		if got := decimal(digits[9:]); got != want {
			return Snils{}, NewError(CodeSnilsChecksum, "SNILS check number does not match: the number has a typo")
		}
	}
	return Snils{digits: digits}, nil
}

// snilsCheck computes the check number of docs/DOMAIN.md §5: digits d1..d9
// weighted 9..1; a sum below 100 is the check itself, 100 and 101 give 00,
// a larger sum is taken mod 101 (where 100 again gives 00).
func snilsCheck(nine string) int {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(nine[i]-'0') * (9 - i)
	}
	switch {
	case sum < 100:
		return sum
	case sum <= 101:
		return 0
	default:
		if r := sum % 101; r != 100 {
			return r
		}
		return 0
	}
}

// IsZero reports whether s holds no number.
func (s Snils) IsZero() bool { return s.digits == "" }

// Digits returns the 11 digits without separators.
func (s Snils) Digits() string { return s.digits }

// String formats the number as printed on the card: XXX-XXX-XXX YY.
func (s Snils) String() string {
	if s.IsZero() {
		return ""
	}
	d := s.digits
	return d[0:3] + "-" + d[3:6] + "-" + d[6:9] + " " + d[9:11]
}

// Masked hides all but the check number (***-***-*** YY): the form shown
// everywhere except the owner's cabinet and the auditor's history.
func (s Snils) Masked() string {
	if s.IsZero() {
		return ""
	}
	return "***-***-*** " + s.digits[9:11]
}

// MarshalText writes the full formatted number: events and the owner's
// cabinet need it; views for anyone else must use Masked.
func (s Snils) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses the number with ParseSnils; empty text is the zero value.
func (s *Snils) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Snils{}
		return nil
	}
	v, err := ParseSnils(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Inn is a person's taxpayer number (ИНН, docs/DOMAIN.md §5): 12 digits, the last
// two check digits. The zero value is "no INN".
type Inn struct {
	digits string
}

var (
	innWeights11 = []int{7, 2, 4, 10, 3, 5, 9, 4, 6, 8}
	innWeights12 = []int{3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}
)

// ParseInn reads a person's 12-digit INN (spaces and dashes are ignored). A 10-digit INN belongs to a company and is refused with
// inn_not_personal; other lengths or characters give inn_invalid and a wrong
// check digit inn_checksum.
func ParseInn(s string) (Inn, error) {
	if _, ok := digitsOnly(s, 10); ok {
		return Inn{}, NewError(CodeInnNotPersonal, "a 10-digit INN belongs to a company; a person's INN has 12 digits")
	}
	digits, ok := digitsOnly(s, 12)
	if !ok {
		return Inn{}, NewError(CodeInnInvalid, "a person's INN must be 12 digits")
	}
	if innCheck(digits, innWeights11) != int(digits[10]-'0') ||
		innCheck(digits, innWeights12) != int(digits[11]-'0') {
		return Inn{}, NewError(CodeInnChecksum, "INN check digits do not match: the number has a typo")
	}
	return Inn{digits: digits}, nil
}

// innWeights10 weighs the check digit of a company's 10-digit INN.
var innWeights10 = []int{2, 4, 10, 3, 5, 9, 4, 6, 8}

// ValidEmployerInn reports whether s is an employer's INN with right check
// digits: a company's 10 digits (one check digit) or a sole trader's 12
// (two), as in an employer field of a form.
func ValidEmployerInn(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	switch len(s) {
	case 10:
		return innCheck(s, innWeights10) == int(s[9]-'0')
	case 12:
		return innCheck(s, innWeights11) == int(s[10]-'0') && innCheck(s, innWeights12) == int(s[11]-'0')
	}
	return false
}

// innCheck is one INN check digit: the weighted sum mod 11 mod 10.
func innCheck(digits string, weights []int) int {
	sum := 0
	for i, w := range weights {
		sum += int(digits[i]-'0') * w
	}
	return sum % 11 % 10
}

// IsZero reports whether n holds no number.
func (n Inn) IsZero() bool { return n.digits == "" }

// String returns the 12 digits.
func (n Inn) String() string { return n.digits }

// Masked hides all but the last two digits (**********59).
func (n Inn) Masked() string {
	if n.IsZero() {
		return ""
	}
	return strings.Repeat("*", 10) + n.digits[10:]
}

// MarshalText writes the full number (see Snils.MarshalText on masking).
func (n Inn) MarshalText() ([]byte, error) { return []byte(n.digits), nil }

// UnmarshalText parses the number with ParseInn; empty text is the zero value.
func (n *Inn) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*n = Inn{}
		return nil
	}
	v, err := ParseInn(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// digitsOnly strips the separators people type or paste into numbers
// (spaces, no-break spaces, ASCII and typographic dashes) and reports
// whether exactly n ASCII digits remain and nothing else.
func digitsOnly(s string, n int) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if b.Len() == n {
				return "", false
			}
			b.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\u00a0' || r == '\u202f' ||
			r == '-' || (r >= '\u2010' && r <= '\u2013'):
		default:
			return "", false
		}
	}
	return b.String(), b.Len() == n
}

// decimal reads a short string of ASCII digits.
func decimal(digits string) int {
	v := 0
	for i := 0; i < len(digits); i++ {
		v = v*10 + int(digits[i]-'0')
	}
	return v
}
