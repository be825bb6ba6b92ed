package domain_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

func date(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

func TestParseDate_AcceptsRussianAndISOForms(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Date
	}{
		{"01.02.2000", date(2000, time.February, 1)},
		{"2000-02-01", date(2000, time.February, 1)},
		{"29.02.2024", date(2024, time.February, 29)},
		{"2000-02-29", date(2000, time.February, 29)},
		{"31.12.1999", date(1999, time.December, 31)},
		{" 2026-01-09 ", date(2026, time.January, 9)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := domain.ParseDate(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d)
		})
	}
}

func TestParseDate_RefusesOtherFormsAndImpossibleDates(t *testing.T) {
	for _, in := range []string{
		"", "31.02.2000", "29.02.2023", "1900-02-29", "2000-13-01", "00.01.2000",
		"2000-01-00", "0000-01-01", "1.2.2000", "01/02/2000", "2000.02.01",
		"01-02-2000", "2000-1-01", "+200-01-01", "2000-01-0a", "٠١.٠٢.٢٠٠٠",
		"2000-02-01T00:00:00Z", "01.02.20000",
	} {
		t.Run(in, func(t *testing.T) {
			d, err := domain.ParseDate(in)
			requireCode(t, err, domain.CodeDateInvalid)
			assert.True(t, d.IsZero())
		})
	}
}

func TestDate_FormatsCompareAndAddDays(t *testing.T) {
	d := date(2024, time.February, 28)
	assert.Equal(t, "2024-02-28", d.String())
	assert.Equal(t, "28.02.2024", d.Russian())
	assert.Equal(t, date(2024, time.February, 29), d.AddDays(1))
	assert.Equal(t, date(2024, time.March, 1), d.AddDays(2))
	assert.Equal(t, date(2023, time.December, 31), date(2024, time.January, 1).AddDays(-1))
	assert.True(t, d.Before(d.AddDays(1)))
	assert.True(t, d.AddDays(1).After(d))
	assert.False(t, d.Before(d))
	assert.Equal(t, 0, d.Compare(date(2024, time.February, 28)))
	assert.Equal(t, 366, date(2024, time.January, 1).DaysUntil(date(2025, time.January, 1)))
	assert.Equal(t, time.Thursday, date(2026, time.January, 1).Weekday())
	assert.Equal(t, d, domain.DateOf(time.Date(2024, 2, 28, 23, 59, 0, 0, time.UTC)))
	assert.Equal(t, "", domain.Date{}.String())
}

func TestDate_JSONIsISO(t *testing.T) {
	type holder struct {
		Born domain.Date `json:"born"`
	}
	b, err := json.Marshal(holder{date(1990, time.May, 7)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"born":"1990-05-07"}`, string(b))

	var h holder
	require.NoError(t, json.Unmarshal([]byte(`{"born":"07.05.1990"}`), &h))
	assert.Equal(t, date(1990, time.May, 7), h.Born)
	require.NoError(t, json.Unmarshal([]byte(`{"born":null}`), &h))
	assert.True(t, h.Born.IsZero())

	b, err = json.Marshal(holder{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"born":null}`, string(b))

	err = json.Unmarshal([]byte(`{"born":"31.02.1990"}`), &h)
	requireCode(t, err, domain.CodeDateInvalid)
	err = json.Unmarshal([]byte(`{"born":19900507}`), &h)
	requireCode(t, err, domain.CodeDateInvalid)
}

func TestDate_AgeOnCountsFullYears(t *testing.T) {
	tests := []struct {
		name        string
		born, today domain.Date
		want        int
	}{
		{"day before birthday", date(2000, time.June, 15), date(2014, time.June, 14), 13},
		{"on the birthday", date(2000, time.June, 15), date(2014, time.June, 15), 14},
		{"leap-day birthday in a common year comes on 28 Feb", date(2008, time.February, 29), date(2022, time.February, 28), 14},
		{"leap-day birthday, day before", date(2008, time.February, 29), date(2022, time.February, 27), 13},
		{"leap-day birthday in a leap year", date(2008, time.February, 29), date(2024, time.February, 28), 15},
		{"born today", date(2026, time.March, 1), date(2026, time.March, 1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.born.AgeOn(tt.today))
		})
	}
}

func TestValidateBirthDate(t *testing.T) {
	today := date(2026, time.March, 10)
	tests := []struct {
		name string
		born domain.Date
		code string
	}{
		{"adult", date(1990, time.May, 7), ""},
		{"exactly fourteen today", date(2012, time.March, 10), ""},
		{"fourteen tomorrow", date(2012, time.March, 11), domain.CodeTooYoung},
		{"born today", today, domain.CodeTooYoung},
		{"tomorrow", today.AddDays(1), domain.CodeBirthDateInFuture},
		{"typo in the century", date(1026, time.March, 10), domain.CodeDateInvalid},
		{"missing", domain.Date{}, domain.CodeDateInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateBirthDate(tt.born, today)
			if tt.code == "" {
				assert.NoError(t, err)
				return
			}
			requireCode(t, err, tt.code)
		})
	}
}

func TestNewDate_RefusesImpossibleDates(t *testing.T) {
	_, err := domain.NewDate(2023, time.February, 29)
	requireCode(t, err, domain.CodeDateInvalid)
	_, err = domain.NewDate(2023, 0, 1)
	requireCode(t, err, domain.CodeDateInvalid)
	assert.Panics(t, func() { domain.MustDate(2023, time.April, 31) })
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"01.02.2000", "2000-02-29", "31.02.2000", "0001-01-01", "9999-12-31", "", "1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := domain.ParseDate(in)
		if err != nil {
			if !d.IsZero() {
				t.Fatalf("ParseDate(%q) failed but returned %v", in, d)
			}
			return
		}
		for _, s := range []string{d.String(), d.Russian()} {
			again, err := domain.ParseDate(s)
			if err != nil || again != d {
				t.Fatalf("ParseDate(%q) = %v; re-parse of %q = %v, %v", in, d, s, again, err)
			}
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back domain.Date
		if err := json.Unmarshal(b, &back); err != nil || back != d {
			t.Fatalf("JSON round trip of %v: %s → %v, %v", d, b, back, err)
		}
	})
}
