package domain

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ValidateForm checks a form, as decoded from JSON, against svc's fields on
// the day today (cal counts working days; nil means Monday to Friday with no
// holidays). It returns every problem found, unknown fields first, then the
// fields in the form's order, with paths like host_address.postal_code:
// unknown_field, required, field_type, enum, too_long, pattern,
// out_of_range, date_invalid, date_in_future, date_in_past, date_order and
// the late code of a field (notification_late). An empty result means the
// form is valid. It never panics, whatever the input.
func ValidateForm(svc Service, form map[string]any, today Date, cal *Calendar) []FieldError {
	_, errs := checkForm(svc, form, today, cal)
	return errs
}

// checkForm validates form and returns it normalised as well: strings
// trimmed, dates as ISO YYYY-MM-DD, numbers as float64, absent optional
// fields left out, so the stored form reads the same after a JSON round trip.
func checkForm(svc Service, form map[string]any, today Date, cal *Calendar) (map[string]any, []FieldError) {
	if cal == nil {
		cal = NewCalendar()
	}
	c := formChecker{today: today, cal: cal}
	out := c.fields(svc.Fields, form, "")
	return out, c.errs
}

// formChecker collects the field errors of one form.
type formChecker struct {
	today Date
	cal   *Calendar
	errs  []FieldError
}

func (c *formChecker) fail(path, code, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Field: path, Code: code, Message: fmt.Sprintf(format, args...)})
}

// fields checks one level of a form (the form itself or an address).
func (c *formChecker) fields(fields []FormField, in map[string]any, prefix string) map[string]any {
	unknown := make([]string, 0)
	for k := range in {
		if !slices.ContainsFunc(fields, func(f FormField) bool { return f.Name == k }) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		name := k
		if name == "" {
			name = `""` // a path must name something
		}
		c.fail(prefix+name, CodeUnknownField, "the form has no field %q", k)
	}
	out := map[string]any{}
	dates := map[string]Date{}
	for _, f := range fields {
		path := prefix + f.Name
		v, present := in[f.Name]
		if !present || isBlank(v) {
			if f.Required {
				c.fail(path, CodeRequired, "%s is required", path)
			}
			continue
		}
		nv, ok := c.value(f, v, path)
		if !ok {
			continue
		}
		out[f.Name] = nv
		if f.Type == FieldDate {
			dates[f.Name], _ = ParseDate(nv.(string))
		}
	}
	for _, f := range fields {
		d, ok := dates[f.Name]
		if f.Type != FieldDate || f.After == "" || !ok {
			continue
		}
		if other, ok := dates[f.After]; ok && !d.After(other) {
			c.fail(prefix+f.Name, CodeDateOrder, "%s must be after %s", prefix+f.Name, prefix+f.After)
		}
	}
	return out
}

// isBlank reports whether v counts as not given: null or blank text.
func isBlank(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	}
	return false
}

// value checks one present value against its field and returns it normalised.
func (c *formChecker) value(f FormField, v any, path string) (any, bool) {
	switch f.Type {
	case FieldString, FieldText:
		return c.text(f, v, path)
	case FieldEnum:
		s, ok := v.(string)
		if !ok {
			c.fail(path, CodeFieldType, "%s must be a string", path)
			return nil, false
		}
		s = strings.TrimSpace(s)
		if !slices.Contains(f.Enum, s) {
			c.fail(path, CodeEnum, "%s must be one of: %s", path, strings.Join(f.Enum, ", "))
			return nil, false
		}
		return s, true
	case FieldDate:
		return c.date(f, v, path)
	case FieldBool:
		b, ok := v.(bool)
		if !ok {
			c.fail(path, CodeFieldType, "%s must be true or false", path)
		}
		return b, ok
	case FieldInt:
		return c.integer(f, v, path)
	case FieldAddress:
		m, ok := v.(map[string]any)
		if !ok {
			c.fail(path, CodeFieldType, "%s must be an object with region, city, street, house, flat, postal_code", path)
			return nil, false
		}
		before := len(c.errs)
		out := c.fields(AddressFields, m, path+".")
		return out, len(c.errs) == before
	}
	c.fail(path, CodeFieldType, "%s has an unsupported field type %q", path, f.Type)
	return nil, false
}

func (c *formChecker) text(f FormField, v any, path string) (any, bool) {
	s, ok := v.(string)
	if !ok {
		c.fail(path, CodeFieldType, "%s must be a string", path)
		return nil, false
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && (f.Type == FieldString || (r != '\n' && r != '\r' && r != '\t'))
	}) {
		c.fail(path, CodeFieldType, "%s must be plain text on one line", path)
		return nil, false
	}
	if f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength {
		c.fail(path, CodeTooLong, "%s is longer than %d characters", path, f.MaxLength)
		return nil, false
	}
	if f.Pattern != "" {
		re, err := anchored(f.Pattern)
		if err != nil || !re.MatchString(s) {
			c.fail(path, CodePattern, "%s has the wrong format", path)
			return nil, false
		}
	}
	if f.Checksum == ChecksumInn && !ValidEmployerInn(s) {
		c.fail(path, CodeInnChecksum, "%s is not a valid INN: its check digits are wrong", path)
		return nil, false
	}
	return s, true
}

func (c *formChecker) date(f FormField, v any, path string) (any, bool) {
	s, ok := v.(string)
	if !ok {
		c.fail(path, CodeFieldType, "%s must be a date string like 2026-03-01", path)
		return nil, false
	}
	d, err := ParseDate(s)
	switch {
	case err != nil:
		c.fail(path, CodeDateInvalid, "%s is not a date: use DD.MM.YYYY or YYYY-MM-DD", path)
	case f.NotFuture && d.After(c.today):
		c.fail(path, CodeDateInFuture, "%s must not be in the future", path)
	case f.NotPast && d.Before(c.today):
		c.fail(path, CodeDateInPast, "%s must not be in the past", path)
	case f.MaxWorkingDaysAgo > 0 && d.Before(c.cal.AddWorkingDays(c.today, -f.MaxWorkingDaysAgo)):
		code := f.LateCode
		if code == "" {
			code = CodeOutOfRange
		}
		c.fail(path, code, "%s is more than %d working days ago", path, f.MaxWorkingDaysAgo)
	default:
		return d.String(), true
	}
	return nil, false
}

// maxExactInt is the largest whole number a JSON number (float64) holds exactly.
const maxExactInt = 1 << 53

func (c *formChecker) integer(f FormField, v any, path string) (any, bool) {
	var n float64
	switch v := v.(type) {
	case float64:
		n = v
	case json.Number:
		x, err := v.Float64()
		if err != nil {
			c.fail(path, CodeFieldType, "%s must be a whole number", path)
			return nil, false
		}
		n = x
	case int:
		n = float64(v)
	case int64:
		n = float64(v)
	case int32:
		n = float64(v)
	default:
		c.fail(path, CodeFieldType, "%s must be a whole number", path)
		return nil, false
	}
	if math.IsNaN(n) || math.IsInf(n, 0) || n != math.Trunc(n) {
		c.fail(path, CodeFieldType, "%s must be a whole number", path)
		return nil, false
	}
	if math.Abs(n) > maxExactInt ||
		(f.Min != nil && n < float64(*f.Min)) || (f.Max != nil && n > float64(*f.Max)) {
		c.fail(path, CodeOutOfRange, "%s is out of range%s", path, rangeText(f))
		return nil, false
	}
	return n, true
}

func rangeText(f FormField) string {
	switch {
	case f.Min != nil && f.Max != nil:
		return fmt.Sprintf(" %d..%d", *f.Min, *f.Max)
	case f.Min != nil:
		return fmt.Sprintf(": at least %d", *f.Min)
	case f.Max != nil:
		return fmt.Sprintf(": at most %d", *f.Max)
	}
	return ""
}

// patterns caches the compiled, anchored patterns of form fields.
var patterns sync.Map // string → *regexp.Regexp

// anchored compiles ^(?:p)$ once. A pattern that does not compile refuses
// every value (a catalog test keeps the shipped patterns valid).
func anchored(p string) (*regexp.Regexp, error) {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, err
	}
	patterns.Store(p, re)
	return re, nil
}
