package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Service is one entry of the service catalog (docs/DOMAIN.md §6): what the
// citizen may apply for, who may apply, what the form asks, which documents
// must be attached, what it costs and how long the authority has to decide.
// The catalog is declarative: adding a service is adding one Service value
// to catalogEntries; the rules that check an application read only this.
type Service struct {
	Code        string `json:"code"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	// Level is the least account level that may apply.
	Level Level `json:"level"`
	// RequiresStay: the applicant must hold a stay-right document in force.
	RequiresStay bool        `json:"requires_stay"`
	Fields       []FormField `json:"fields"`
	// Documents are the documents that must be attached; each is met by
	// any one attached document that fits it.
	Documents []DocumentRequirement `json:"documents"`
	// Fee is the state duty to pay before processing; zero means none.
	Fee Money `json:"fee"`
	// DeadlineDays is the processing time in working days, counted from
	// submission, or from payment for a service with a fee.
	DeadlineDays int `json:"deadline_days"`
	// ResultType names the document an approval issues.
	ResultType string `json:"result_type"`
	// CertificateKinds lists the kinds a certificate service issues.
	CertificateKinds []string `json:"certificate_kinds,omitempty"`
}

// Text is a caption in the two languages of the portal.
type Text struct {
	RU string `json:"ru"`
	EN string `json:"en"`
}

// Money is an amount in kopecks of a currency (ISO 4217; fees are "RUB").
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// IsZero reports whether m is no money: a service without a fee.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Display writes m for people: roubles and kopecks for RUB
// ("4 200 руб. 00 коп."), else the amount in minor units and the code.
func (m Money) Display() string {
	if m.Currency != CurrencyRUB {
		return fmt.Sprintf("%d (minor units) %s", m.Amount, m.Currency)
	}
	sign, a := "", m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	rub := strconv.FormatInt(a/100, 10)
	var b strings.Builder
	for i, r := range rub {
		if i > 0 && (len(rub)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s руб. %02d коп.", sign, b.String(), a%100)
}

// CurrencyRUB is the currency of every state duty.
const CurrencyRUB = "RUB"

// rub is n whole roubles.
func rub(n int64) Money { return Money{Amount: n * 100, Currency: CurrencyRUB} }

// Field types of a form.
const (
	FieldString  = "string"  // one line of text
	FieldText    = "text"    // free text, several lines
	FieldDate    = "date"    // a civil date, DD.MM.YYYY or YYYY-MM-DD
	FieldEnum    = "enum"    // one of Enum
	FieldAddress = "address" // an address in Russia: AddressFields
	FieldBool    = "bool"    // true or false
	FieldInt     = "int"     // a whole number
)

// FormField declares one field of a service's form and the rules its value
// must meet. Rules that do not fit the field's type are ignored.
type FormField struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Label    Text     `json:"label"`
	Enum     []string `json:"enum,omitempty"`
	// EnumLabels are the captions of Enum's values, by value.
	EnumLabels map[string]Text `json:"enum_labels,omitempty"`
	// MaxLength bounds a string or text, in characters.
	MaxLength int `json:"max_length,omitempty"`
	// Pattern is a regular expression (RE2, anchored by the checker) a
	// string must match.
	Pattern string `json:"pattern,omitempty"`
	// Min and Max bound an int.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
	// NotFuture: a date must not be after today.
	NotFuture bool `json:"not_future,omitempty"`
	// NotPast: a date must not be before today.
	NotPast bool `json:"not_past,omitempty"`
	// MaxWorkingDaysAgo: a date must not be more than this many working
	// days before today; LateCode is the code when it is (default out_of_range).
	MaxWorkingDaysAgo int    `json:"max_working_days_ago,omitempty"`
	LateCode          string `json:"late_code,omitempty"`
	// After names a date field of the same form this date must follow.
	After string `json:"after,omitempty"`
	// Checksum names a check a string must pass besides its pattern:
	// ChecksumInn, an employer's INN (10 or 12 digits with their check
	// digits), refused with inn_checksum.
	Checksum string `json:"checksum,omitempty"`
}

// ChecksumInn is the Checksum of an employer's INN field.
const ChecksumInn = "inn"

// AddressFields are the parts of an address field; flat is optional and
// postal_code is six digits (docs/DOMAIN.md §3).
var AddressFields = []FormField{
	{Name: "region", Type: FieldString, Required: true, MaxLength: 100, Label: Text{"Регион", "Region"}},
	{Name: "city", Type: FieldString, Required: true, MaxLength: 100, Label: Text{"Город / населённый пункт", "City / locality"}},
	{Name: "street", Type: FieldString, Required: true, MaxLength: 200, Label: Text{"Улица", "Street"}},
	{Name: "house", Type: FieldString, Required: true, MaxLength: 20, Label: Text{"Дом", "House"}},
	{Name: "flat", Type: FieldString, MaxLength: 20, Label: Text{"Квартира", "Flat"}},
	{Name: "postal_code", Type: FieldString, Required: true, Pattern: `[0-9]{6}`, Label: Text{"Почтовый индекс", "Postal code"}},
}

// DocumentRequirement is one document a service needs. An attached document
// meets it when its kind is Kind (any kind when empty) and its type is one of
// Types (any type when empty).
type DocumentRequirement struct {
	// Code names the requirement in documents_missing.
	Code  string   `json:"code"`
	Kind  string   `json:"kind,omitempty"`
	Types []string `json:"types,omitempty"`
	Label Text     `json:"label"`
}

// MetBy reports whether d fits the requirement. A kind is met by what the
// document proves, not by the kind it was filed under: a residence permit
// is an identity and a stay-right document whichever way it was filed.
func (r DocumentRequirement) MetBy(d DocumentState) bool {
	kind := r.Kind == "" ||
		(r.Kind == DocumentKindIdentity && d.ProvesIdentity()) ||
		(r.Kind == DocumentKindStayRight && d.ProvesStay())
	return kind && (len(r.Types) == 0 || slices.Contains(r.Types, d.Type))
}

// Catalog returns every service, in a stable order (the order of
// catalogEntries). The slice is the caller's; its entries share nothing
// mutable with the catalog.
func Catalog() []Service {
	out := make([]Service, len(catalogEntries))
	for i, s := range catalogEntries {
		out[i] = s.clone()
	}
	return out
}

// ServiceByCode returns the service with code, if there is one.
func ServiceByCode(code string) (Service, bool) {
	for _, s := range catalogEntries {
		if s.Code == code {
			return s.clone(), true
		}
	}
	return Service{}, false
}

// ServiceCodes lists every service code in catalog order.
func ServiceCodes() []string {
	codes := make([]string, len(catalogEntries))
	for i, s := range catalogEntries {
		codes[i] = s.Code
	}
	return codes
}

// AvailableServices lists, in catalog order, the codes of the services an
// account at level may apply for, given whether it holds a stay-right
// document in force.
func AvailableServices(level Level, stayValid bool) []string {
	codes := []string{}
	for _, s := range catalogEntries {
		if s.OpenTo(level, stayValid) {
			codes = append(codes, s.Code)
		}
	}
	return codes
}

// OpenTo reports whether an account at level, with or without a stay-right
// document in force, may apply for s.
func (s Service) OpenTo(level Level, stayValid bool) bool {
	return level.AtLeast(s.Level) && (stayValid || !s.RequiresStay)
}

// Field returns the form field called name, if the form has one.
func (s Service) Field(name string) (FormField, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FormField{}, false
}

// clone deep-copies the slices and maps of s, so a caller editing its copy
// cannot change the catalog.
func (s Service) clone() Service {
	s.Fields = append([]FormField{}, s.Fields...) // lists are never null in answers
	s.Documents = append([]DocumentRequirement{}, s.Documents...)
	for i, f := range s.Fields {
		f.Enum = slices.Clone(f.Enum)
		if f.EnumLabels != nil {
			m := make(map[string]Text, len(f.EnumLabels))
			for k, v := range f.EnumLabels {
				m[k] = v
			}
			f.EnumLabels = m
		}
		if f.Min != nil {
			f.Min = i64(*f.Min)
		}
		if f.Max != nil {
			f.Max = i64(*f.Max)
		}
		s.Fields[i] = f
	}
	for i, d := range s.Documents {
		d.Types = slices.Clone(d.Types)
		s.Documents[i] = d
	}
	s.CertificateKinds = slices.Clone(s.CertificateKinds)
	return s
}

func i64(n int64) *int64 { return &n }
