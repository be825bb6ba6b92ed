package domain_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kabinet/kabinet/domain"
)

func TestCalendar_IsWorkingDayIn2026(t *testing.T) {
	c := domain.NewRussianCalendar()
	tests := []struct {
		name    string
		day     domain.Date
		working bool
	}{
		{"New Year", date(2026, time.January, 1), false},
		{"Christmas", date(2026, time.January, 7), false},
		{"Friday 9 January, moved from Saturday 3 January", date(2026, time.January, 9), false},
		{"first working day of the year", date(2026, time.January, 12), true},
		{"Defender of the Fatherland Day", date(2026, time.February, 23), false},
		{"Monday 9 March for Sunday 8 March", date(2026, time.March, 9), false},
		{"ordinary Tuesday", date(2026, time.March, 10), true},
		{"ordinary Saturday", date(2026, time.March, 14), false},
		{"Labour Day", date(2026, time.May, 1), false},
		{"Monday 11 May for Saturday 9 May", date(2026, time.May, 11), false},
		{"Russia Day", date(2026, time.June, 12), false},
		{"Unity Day", date(2026, time.November, 4), false},
		{"31 December, moved from Sunday 4 January", date(2026, time.December, 31), false},
		{"30 December", date(2026, time.December, 30), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.working, c.IsWorkingDay(tt.day))
		})
	}
}

// The production calendar for 2026 has 247 working days: 15 in January,
// 19 in February, 21 in March, 22 in April, 19 in May, 21 in June, 23 in
// July, 21 in August, 22 in September, 22 in October, 20 in November and
// 22 in December.
func TestCalendar_2026HasTheProductionCalendarsWorkingDays(t *testing.T) {
	c := domain.NewRussianCalendar()
	want := []int{15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22}
	for m := time.January; m <= time.December; m++ {
		first := date(2026, m, 1)
		last := first.AddDays(32)
		last = date(last.Year(), last.Month(), 1).AddDays(-1)
		assert.Equal(t, want[m-1], c.WorkingDaysBetween(first.AddDays(-1), last), m.String())
	}
	assert.Equal(t, 247, c.WorkingDaysBetween(date(2025, time.December, 31), date(2026, time.December, 31)))
}

func TestCalendar_AddWorkingDaysSkipsWeekendsAndHolidays(t *testing.T) {
	c := domain.NewRussianCalendar()
	tests := []struct {
		name  string
		start domain.Date
		n     int
		want  domain.Date
	}{
		{"next working day", date(2026, time.March, 10), 1, date(2026, time.March, 11)},
		{"Friday + 1 spans the weekend and the holiday Monday", date(2026, time.February, 20), 1, date(2026, time.February, 24)},
		{"5 days over 1 May and the weekend", date(2026, time.April, 30), 5, date(2026, time.May, 8)},
		{"5 days over the weekend and 11 May", date(2026, time.May, 6), 5, date(2026, time.May, 14)},
		{"10 days, the extended verification deadline", date(2026, time.March, 2), 10, date(2026, time.March, 17)},
		{"start on a holiday is not counted", date(2026, time.January, 5), 1, date(2026, time.January, 12)},
		{"start on a Saturday is not counted", date(2026, time.March, 14), 1, date(2026, time.March, 16)},
		{"zero days is the start", date(2026, time.March, 14), 0, date(2026, time.March, 14)},
		{"back one day over the holiday Monday", date(2026, time.February, 24), -1, date(2026, time.February, 20)},
		{"back seven days", date(2026, time.March, 20), -7, date(2026, time.March, 11)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, c.AddWorkingDays(tt.start, tt.n))
			if tt.n >= 0 {
				assert.Equal(t, tt.n, c.WorkingDaysBetween(tt.start, tt.want))
			}
		})
	}
}

func TestCalendar_WorkingDaysBetween(t *testing.T) {
	c := domain.NewRussianCalendar()
	assert.Equal(t, 0, c.WorkingDaysBetween(date(2026, time.March, 10), date(2026, time.March, 10)))
	assert.Equal(t, 1, c.WorkingDaysBetween(date(2026, time.February, 20), date(2026, time.February, 24)))
	assert.Equal(t, -1, c.WorkingDaysBetween(date(2026, time.February, 24), date(2026, time.February, 20)))
	assert.Equal(t, 0, c.WorkingDaysBetween(date(2026, time.February, 20), date(2026, time.February, 23)))
}

func TestCalendar_HolidaysAndWorkingWeekendsAreSettable(t *testing.T) {
	c := domain.NewCalendar()
	friday := date(2027, time.January, 1)
	assert.True(t, c.IsWorkingDay(friday), "an empty calendar works Monday to Friday")

	c.SetHolidays(friday)
	assert.False(t, c.IsWorkingDay(friday))
	assert.Equal(t, date(2027, time.January, 4), c.AddWorkingDays(date(2026, time.December, 31), 1))

	saturday := date(2027, time.January, 2)
	c.SetWorkingWeekends(saturday)
	assert.True(t, c.IsWorkingDay(saturday))
	assert.Equal(t, saturday, c.AddWorkingDays(date(2026, time.December, 31), 1))

	c.SetHolidays()
	assert.True(t, c.IsWorkingDay(friday))
}

func TestCalendar_SafeForConcurrentUse(t *testing.T) {
	c := domain.NewRussianCalendar()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			for j := 0; j < 100; j++ {
				c.SetHolidays(domain.RussianHolidays2026()...)
				c.AddWorkingDays(date(2026, time.May, 6), 5)
			}
		})
	}
	wg.Wait()
}
