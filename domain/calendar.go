package domain

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Calendar tells working days from days off for the deadlines of docs/DOMAIN.md
// (verification in 5 working days, processing times, the 7 working days of an
// arrival notification). Working days are Monday to Friday, minus the
// holidays, plus the weekend days a decree makes working ("transferred"
// working Saturdays). Both sets are settable, because the Government
// publishes each year's production calendar only in the autumn before it.
// A Calendar knows the years it was given (AddYears); a computation that
// touches a day of another year counts it as Monday–Friday and reports the
// year to the OnUnknownYear hook, so the service says so loudly instead of
// silently counting holidays as working days. A Calendar is safe for
// concurrent use.
type Calendar struct {
	mu              sync.RWMutex
	holidays        map[Date]struct{}
	workingWeekends map[Date]struct{}
	years           map[int]bool // nil: every year is known (a hand-made calendar)
	onUnknown       func(year int)
}

// NewCalendar returns a Monday–Friday calendar with the given non-working
// days, treating every year as known.
func NewCalendar(holidays ...Date) *Calendar {
	c := &Calendar{}
	c.SetHolidays(holidays...)
	return c
}

// NewRussianCalendar returns a calendar of RussianCalendarYears (2025–2027).
func NewRussianCalendar() *Calendar {
	c := &Calendar{years: map[int]bool{}}
	c.AddYears(RussianCalendarYears()...)
	return c
}

// CalendarYear is one year of a production calendar: its weekdays off
// (holidays and days off moved onto weekdays) and its working weekend days.
type CalendarYear struct {
	Year            int    `json:"year"`
	Holidays        []Date `json:"holidays"`
	WorkingWeekends []Date `json:"working_weekends"`
}

// AddYears adds (or replaces) whole years of the production calendar and
// marks them known. Days outside their year are refused.
func (c *Calendar) AddYears(years ...CalendarYear) error {
	for _, y := range years {
		for _, d := range append(append([]Date(nil), y.Holidays...), y.WorkingWeekends...) {
			if d.Year() != y.Year {
				return fmt.Errorf("domain: calendar year %d lists %s", y.Year, d)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holidays == nil {
		c.holidays, c.workingWeekends = map[Date]struct{}{}, map[Date]struct{}{}
	}
	if c.years == nil {
		c.years = map[int]bool{}
	}
	for _, y := range years {
		for d := range c.holidays {
			if d.Year() == y.Year {
				delete(c.holidays, d)
			}
		}
		for d := range c.workingWeekends {
			if d.Year() == y.Year {
				delete(c.workingWeekends, d)
			}
		}
		for _, d := range y.Holidays {
			c.holidays[d] = struct{}{}
		}
		for _, d := range y.WorkingWeekends {
			c.workingWeekends[d] = struct{}{}
		}
		c.years[y.Year] = true
	}
	return nil
}

// OnUnknownYear sets the hook told of every computation that touched a day
// of a year the calendar does not know (logs and metrics, in the service).
func (c *Calendar) OnUnknownYear(f func(year int)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onUnknown = f
}

// Knows reports whether the calendar has the production calendar of year.
func (c *Calendar) Knows(year int) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.years == nil || c.years[year]
}

// KnownYears lists the years the calendar knows, in order (none for a
// hand-made calendar that treats every year as known).
func (c *Calendar) KnownYears() []int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]int, 0, len(c.years))
	for y := range c.years {
		out = append(out, y)
	}
	slices.Sort(out)
	return out
}

// unknown reports the years of the days from a to b (either order) the
// calendar does not know to the hook; it is called with the lock held for
// reading, and the hook must not call back into the calendar.
func (c *Calendar) unknown(a, b Date) {
	if c.years == nil || c.onUnknown == nil {
		return
	}
	lo, hi := a.Year(), b.Year()
	if lo > hi {
		lo, hi = hi, lo
	}
	for y := lo; y <= hi; y++ {
		if !c.years[y] {
			c.onUnknown(y)
		}
	}
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
	c.unknown(d, d)
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
	c.unknown(start, d)
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
	c.unknown(a.AddDays(1), b)
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		if c.isWorkingDay(d) {
			n++
		}
	}
	return n
}
