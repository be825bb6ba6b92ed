package domain

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Date is a civil date — a day in the calendar, with no time or zone — as
// used for birth, issue and expiry dates and deadlines. The zero value means
// "no date". Dates compare with == and Compare.
type Date struct {
	year  int
	month time.Month
	day   int
}

// MinimumAge is the age from which a foreign citizen may register (docs/DOMAIN.md §3).
const MinimumAge = 14

// maximumAge bounds a birth date from below: a date more than this many years
// ago is a typo (19.05.1099), not a person.
const maximumAge = 150

// NewDate builds a date and refuses one not in the calendar (31.02) or
// outside years 1–9999, with date_invalid.
func NewDate(year int, month time.Month, day int) (Date, error) {
	if year < 1 || year > 9999 || month < time.January || month > time.December ||
		day < 1 || day > daysInMonth(year, month) {
		return Date{}, NewError(CodeDateInvalid, "%04d-%02d-%02d is not a calendar date", year, int(month), day)
	}
	return Date{year: year, month: month, day: day}, nil
}

// MustDate is NewDate for constants in code and tests; it panics on an invalid date.
func MustDate(year int, month time.Month, day int) Date {
	d, err := NewDate(year, month, day)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the calendar day of t in t's own location; convert t with
// In first to get the day somewhere else (Moscow for deadlines).
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{year: y, month: m, day: d}
}

// ParseDate reads a date typed as DD.MM.YYYY (as printed in Russian
// documents) or ISO YYYY-MM-DD, and nothing else; the date must exist in the
// calendar. Failures are date_invalid.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	var ys, ms, ds string
	switch {
	case len(s) == 10 && s[2] == '.' && s[5] == '.':
		ds, ms, ys = s[0:2], s[3:5], s[6:10]
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		ys, ms, ds = s[0:4], s[5:7], s[8:10]
	}
	y, okY := dateField(ys)
	m, okM := dateField(ms)
	d, okD := dateField(ds)
	if !okY || !okM || !okD {
		return Date{}, NewError(CodeDateInvalid, "%q is not a date: use DD.MM.YYYY or YYYY-MM-DD", s)
	}
	return NewDate(y, time.Month(m), d)
}

// dateField reads a non-empty run of ASCII digits.
func dateField(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

func daysInMonth(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsZero reports whether d is the zero value ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// Year returns the year.
func (d Date) Year() int { return d.year }

// Month returns the month.
func (d Date) Month() time.Month { return d.month }

// Day returns the day of the month.
func (d Date) Day() int { return d.day }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.Time(time.UTC).Weekday() }

// Time returns midnight at the start of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, loc)
}

// String formats d as ISO YYYY-MM-DD ("" for the zero value).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.year, int(d.month), d.day)
}

// Russian formats d as DD.MM.YYYY, the way Russian documents print it.
func (d Date) Russian() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d.%02d.%04d", d.day, int(d.month), d.year)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.year != o.year:
		return cmp.Compare(d.year, o.year)
	case d.month != o.month:
		return cmp.Compare(int(d.month), int(o.month))
	default:
		return cmp.Compare(d.day, o.day)
	}
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// AddDays returns the date n days after d (before it for negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(d.Time(time.UTC).AddDate(0, 0, n))
}

// DaysUntil returns the number of days from d to o (negative if o is earlier).
func (d Date) DaysUntil(o Date) int {
	return int(o.Time(time.UTC).Sub(d.Time(time.UTC)).Hours() / 24)
}

// AgeOn returns the age in full years of a person born on d, on the day
// today. Someone born on 29 February comes of age on 28 February in common
// years: the Civil Code (art. 192) ends a term counted in years on the
// month's last day when the month has no such day.
func (d Date) AgeOn(today Date) int {
	age := today.year - d.year
	bmonth, bday := d.month, d.day
	if bmonth == time.February && bday == 29 && daysInMonth(today.year, time.February) == 28 {
		bday = 28
	}
	if today.month < bmonth || (today.month == bmonth && today.day < bday) {
		age--
	}
	return age
}

// ValidateBirthDate checks a birth date against today: not in the future
// (birth_date_in_future), at least MinimumAge years old (too_young), and not
// an impossible age (date_invalid).
func ValidateBirthDate(d, today Date) error {
	switch {
	case d.IsZero():
		return NewError(CodeDateInvalid, "the date of birth is missing")
	case d.After(today):
		return NewError(CodeBirthDateInFuture, "the date of birth %s is in the future", d.Russian())
	case d.AgeOn(today) < MinimumAge:
		return NewError(CodeTooYoung, "registration is open from the age of %d", MinimumAge).
			WithDetail("minimum_age", MinimumAge)
	case d.AgeOn(today) > maximumAge:
		return NewError(CodeDateInvalid, "the date of birth %s is implausibly early", d.Russian())
	}
	return nil
}

// MarshalText writes d as ISO YYYY-MM-DD (empty for the zero value).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads DD.MM.YYYY or YYYY-MM-DD; empty text is the zero value.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes d as an ISO string, or null for the zero value.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads an ISO or DD.MM.YYYY string; null and "" give the zero value.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return NewError(CodeDateInvalid, "a date must be a string like \"2026-03-01\"")
	}
	return d.UnmarshalText([]byte(s))
}
