package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// RussianCalendarYears is the production calendar of Russia the service
// ships: the public holidays of the Labour Code, art. 112 (1–8 January,
// 23 February, 8 March, 1 and 9 May, 12 June, 4 November), a holiday on a
// weekend carried to the next working day, and the Government's transfers
// of days off:
//
//   - 2025 (decree of 04.10.2024 № 1335): Saturday 4 January → Friday
//     2 May, Sunday 5 January → Wednesday 31 December, Saturday 1 November
//     a working day → Monday 3 November off; 23 February and 8 March fall
//     on a weekend, so Monday 24 February and Monday 10 March are off.
//     247 working days.
//   - 2026 (decree on the transfer of days off in 2026): Saturday 3
//     January → Friday 9 January, Sunday 4 January → Thursday 31 December;
//     Monday 9 March for Sunday 8 March, Monday 11 May for Saturday 9 May.
//     247 working days.
//   - 2027: the holidays and the weekend carry-overs art. 112 prescribes
//     (Monday 3 May for Saturday 1 May, Monday 10 May for Sunday 9 May,
//     Monday 14 June for Saturday 12 June). The decree moving Saturday 2
//     and Sunday 3 January was not known when this table was written: load
//     it with KABINET_CALENDAR (a file of CalendarYear), which replaces a
//     shipped year. 249 working days as shipped.
func RussianCalendarYears() []CalendarYear {
	d := MustDate
	jan := func(y, from, to int) []Date {
		var out []Date
		for i := from; i <= to; i++ {
			out = append(out, d(y, time.January, i))
		}
		return out
	}
	return []CalendarYear{
		{Year: 2025, Holidays: append(jan(2025, 1, 8),
			d(2025, time.February, 24), d(2025, time.March, 10), d(2025, time.May, 1), d(2025, time.May, 2),
			d(2025, time.May, 9), d(2025, time.June, 12), d(2025, time.November, 3), d(2025, time.November, 4),
			d(2025, time.December, 31)),
			WorkingWeekends: []Date{d(2025, time.November, 1)}},
		{Year: 2026, Holidays: RussianHolidays2026()},
		{Year: 2027, Holidays: append(jan(2027, 1, 8),
			d(2027, time.February, 23), d(2027, time.March, 8), d(2027, time.May, 3), d(2027, time.May, 10),
			d(2027, time.June, 14), d(2027, time.November, 4))},
	}
}

// RussianHolidays2026 lists the weekdays that are not working days in Russia
// in 2026: 1–9 January (the New Year holidays with Christmas on 7 January,
// and 9 January in exchange for Saturday 3 January), 23 February, 9 March
// (for 8 March, a Sunday), 1 May, 11 May (for 9 May, a Saturday), 12 June,
// 4 November and 31 December (in exchange for Sunday 4 January). Weekends
// fall out anyway and are listed only inside the January block.
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

// calendarFile is the KABINET_CALENDAR file: {"years": [CalendarYear…]}.
type calendarFile struct {
	Years []CalendarYear `json:"years"`
}

// ParseCalendarYears reads a production-calendar file:
// {"years":[{"year":2028,"holidays":["2028-01-03",…],"working_weekends":[…]}]}.
// Every holiday must be a weekday and every working weekend day a Saturday
// or Sunday of its year.
func ParseCalendarYears(b []byte) ([]CalendarYear, error) {
	var f calendarFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calendar file: %w", err)
	}
	if len(f.Years) == 0 {
		return nil, fmt.Errorf("calendar file: no years")
	}
	for _, y := range f.Years {
		for _, h := range y.Holidays {
			if h.Year() != y.Year {
				return nil, fmt.Errorf("calendar file: year %d lists holiday %s", y.Year, h)
			}
		}
		for _, w := range y.WorkingWeekends {
			if wd := w.Weekday(); w.Year() != y.Year || (wd != time.Saturday && wd != time.Sunday) {
				return nil, fmt.Errorf("calendar file: year %d: %s is not one of its weekend days", y.Year, w)
			}
		}
	}
	return f.Years, nil
}
