package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

func TestCalendar_KnowsTheProductionCalendars2025To2027(t *testing.T) {
	c := domain.NewRussianCalendar()
	assert.Equal(t, []int{2025, 2026, 2027}, c.KnownYears())
	for year, want := range map[int]int{2025: 247, 2026: 247, 2027: 249} {
		got := c.WorkingDaysBetween(date(year-1, time.December, 31), date(year, time.December, 31))
		assert.Equal(t, want, got, "working days in %d", year)
	}
	tests := []struct {
		name    string
		day     domain.Date
		working bool
	}{
		{"2025: Friday 2 May, moved from Saturday 4 January", date(2025, time.May, 2), false},
		{"2025: Wednesday 31 December, moved from Sunday 5 January", date(2025, time.December, 31), false},
		{"2025: Saturday 1 November is a working day", date(2025, time.November, 1), true},
		{"2025: Monday 3 November, moved from Saturday 1 November", date(2025, time.November, 3), false},
		{"2025: Monday 24 February for Sunday 23 February", date(2025, time.February, 24), false},
		{"2025: Monday 10 March for Saturday 8 March", date(2025, time.March, 10), false},
		{"2025: Friday 13 June is working", date(2025, time.June, 13), true},
		{"2025: Thursday 9 January is working", date(2025, time.January, 9), true},
		{"2027: Friday 8 January", date(2027, time.January, 8), false},
		{"2027: Monday 11 January is working", date(2027, time.January, 11), true},
		{"2027: Monday 3 May for Saturday 1 May", date(2027, time.May, 3), false},
		{"2027: Monday 10 May for Sunday 9 May", date(2027, time.May, 10), false},
		{"2027: Monday 14 June for Saturday 12 June", date(2027, time.June, 14), false},
		{"2027: Thursday 4 November", date(2027, time.November, 4), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.working, c.IsWorkingDay(tt.day))
		})
	}
}

func TestCalendar_AnUnknownYearIsReportedNotSilentlyCounted(t *testing.T) {
	c := domain.NewRussianCalendar()
	var told []int
	c.OnUnknownYear(func(y int) { told = append(told, y) })
	c.AddWorkingDays(date(2027, time.December, 20), 5)
	assert.Empty(t, told, "2027 is known")
	c.AddWorkingDays(date(2027, time.December, 28), 5)
	assert.Equal(t, []int{2028}, told, "the deadline runs into 2028, which the calendar does not know")
	c.WorkingDaysBetween(date(2028, time.March, 1), date(2029, time.March, 1))
	assert.Equal(t, []int{2028, 2028, 2029}, told)
	assert.False(t, c.Knows(2028))
	assert.True(t, domain.NewCalendar().Knows(2099), "a hand-made calendar treats every year as known")
}

func TestCalendar_FurtherYearsComeFromAFile(t *testing.T) {
	years, err := domain.ParseCalendarYears([]byte(`{"years":[
		{"year":2028,"holidays":["2028-01-03","2028-01-04","2028-01-05","2028-01-06","2028-01-07","2028-02-23","2028-03-08",
		  "2028-05-01","2028-05-09","2028-06-12","2028-11-06"],"working_weekends":["2028-11-04"]},
		{"year":2027,"holidays":["2027-01-01","2027-01-04","2027-01-05","2027-01-06","2027-01-07","2027-01-08","2027-02-23",
		  "2027-03-08","2027-05-03","2027-05-10","2027-06-14","2027-11-04","2027-12-31"]}]}`))
	require.NoError(t, err)
	c := domain.NewRussianCalendar()
	require.NoError(t, c.AddYears(years...))
	assert.True(t, c.Knows(2028))
	assert.False(t, c.IsWorkingDay(date(2028, time.November, 6)))
	assert.True(t, c.IsWorkingDay(date(2028, time.November, 4)), "a working Saturday")
	assert.False(t, c.IsWorkingDay(date(2027, time.December, 31)), "a file replaces a shipped year")
	assert.True(t, c.IsWorkingDay(date(2026, time.December, 30)), "other years stay")

	for name, bad := range map[string]string{
		"not JSON":                 `{`,
		"no years":                 `{"years":[]}`,
		"a day of another year":    `{"years":[{"year":2028,"holidays":["2029-01-01"]}]}`,
		"a working weekday":        `{"years":[{"year":2028,"working_weekends":["2028-11-06"]}]}`,
		"a date that is not valid": `{"years":[{"year":2028,"holidays":["2028-02-30"]}]}`,
	} {
		_, err := domain.ParseCalendarYears([]byte(bad))
		assert.Error(t, err, name)
	}
}
