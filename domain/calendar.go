package domain

import (
	"sync"
	"time"
)

// Calendar tells working days from days off for the deadlines of DOMAIN.md
// (verification in 5 working days, processing times, the 7 working days of an
// arrival notification). Working days are Monday to Friday, minus the
// holidays, plus the weekend days a decree makes working ("transferred"
// working Saturdays). Both sets are settable, because the Government
// publishes each year's production calendar only in the autumn before it.
// A Calendar is safe for concurrent use.
type Calendar struct {
	mu              sync.RWMutex
	holidays        map[Date]struct{}
	workingWeekends map[Date]struct{}
}

// NewCalendar returns a Monday–Friday calendar with the given non-working days.
func NewCalendar(holidays ...Date) *Calendar {
	c := &Calendar{}
	c.SetHolidays(holidays...)
	return c
}

// NewRussianCalendar returns a calendar loaded with RussianHolidays2026.
func NewRussianCalendar() *Calendar {
	return NewCalendar(RussianHolidays2026()...)
}

// RussianHolidays2026 lists the weekdays that are not working days in Russia
// in 2026: the public holidays of the Labour Code, art. 112, and the days off
// moved by the Government's decree on the transfer of days off in 2026
// (production calendar): 1–9 January (the New Year holidays with Christmas on
// 7 January, and 9 January in exchange for Saturday 3 January), 23 February,
// 9 March (for 8 March, a Sunday), 1 May, 11 May (for 9 May, a Saturday),
// 12 June, 4 November and 31 December (in exchange for Sunday 4 January).
// Weekends fall out anyway and are listed only inside the January block.
// Load another year's list with SetHolidays.
func RussianHolidays2026() []Date {
	days := make([]Date, 0, 16)
	for d := 1; d <= 9; d++ {
		days = append(days, MustDate(2026, time.January, d))
	}
	return append(days,
		MustDate(2026, time.February, 23),
		MustDate(2026, time.March, 9),
		MustDate(2026, time.May, 1),
		MustDate(2026, time.May, 11),
		MustDate(2026, time.June, 12),
		MustDate(2026, time.November, 4),
		MustDate(2026, time.December, 31),
	)
}

// SetHolidays replaces the set of non-working days.
func (c *Calendar) SetHolidays(holidays ...Date) {
	set := dateSet(holidays)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holidays = set
}

// SetWorkingWeekends replaces the set of Saturdays and Sundays that a decree
// makes working days.
func (c *Calendar) SetWorkingWeekends(days ...Date) {
	set := dateSet(days)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.workingWeekends = set
}

func dateSet(days []Date) map[Date]struct{} {
	set := make(map[Date]struct{}, len(days))
	for _, d := range days {
		set[d] = struct{}{}
	}
	return set
}

// IsWorkingDay reports whether d is a working day.
func (c *Calendar) IsWorkingDay(d Date) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.isWorkingDay(d)
}

func (c *Calendar) isWorkingDay(d Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		_, ok := c.workingWeekends[d]
		return ok
	}
	_, off := c.holidays[d]
	return !off
}

// AddWorkingDays returns the deadline n working days after start: the start
// day itself is not counted, whether or not it is a working day, so a
// request on Friday with n = 1 is due on Monday. A negative n gives the
// |n|-th working day before start; n = 0 returns start.
func (c *Calendar) AddWorkingDays(start Date, n int) Date {
	c.mu.RLock()
	defer c.mu.RUnlock()
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	d := start
	for n > 0 {
		d = d.AddDays(step)
		if c.isWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts the working days after a up to and including b,
// so that WorkingDaysBetween(a, AddWorkingDays(a, n)) == n for n ≥ 0. It is
// negative when b is before a and 0 when they are the same day.
func (c *Calendar) WorkingDaysBetween(a, b Date) int {
	if b.Before(a) {
		return -c.WorkingDaysBetween(b, a)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		if c.isWorkingDay(d) {
			n++
		}
	}
	return n
}
