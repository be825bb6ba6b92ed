package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kabinet/kabinet/domain"
)

// newCalendar is the production calendar every deadline counts with: the
// shipped years (domain.RussianCalendarYears) and those of the
// KABINET_CALENDAR file, which replace shipped ones. A deadline that
// touches a year it does not know is counted Monday–Friday and reported:
// kabinet_calendar_unknown_year_total{year} counts each time, and the log
// says so (once an hour a year).
func newCalendar(c Config, logger *slog.Logger, reg prometheus.Registerer) (*domain.Calendar, error) {
	cal := domain.NewRussianCalendar()
	if c.CalendarFile != "" {
		b, err := os.ReadFile(c.CalendarFile)
		if err != nil {
			return nil, fmt.Errorf("KABINET_CALENDAR: %w", err)
		}
		years, err := domain.ParseCalendarYears(b)
		if err != nil {
			return nil, fmt.Errorf("KABINET_CALENDAR %s: %w", c.CalendarFile, err)
		}
		if err := cal.AddYears(years...); err != nil {
			return nil, fmt.Errorf("KABINET_CALENDAR %s: %w", c.CalendarFile, err)
		}
	}
	unknown := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kabinet_calendar_unknown_year_total",
		Help: "Deadline computations that touched a year the production calendar does not know (its holidays were counted as working days).",
	}, []string{"year"})
	if err := reg.Register(unknown); err != nil {
		return nil, fmt.Errorf("register calendar metric: %w", err)
	}
	var mu sync.Mutex
	logged := map[int]time.Time{}
	cal.OnUnknownYear(func(year int) {
		unknown.WithLabelValues(strconv.Itoa(year)).Inc()
		mu.Lock()
		defer mu.Unlock()
		if last, ok := logged[year]; ok && time.Since(last) < time.Hour {
			return
		}
		logged[year] = time.Now()
		logger.Error("a deadline runs into a year the production calendar does not know: its holidays count as working days; load it with KABINET_CALENDAR",
			"year", year, "known_years", cal.KnownYears())
	})
	logger.Info("production calendar loaded", "years", cal.KnownYears())
	return cal, nil
}
