package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/observability"
)

func TestCalendar_AnUnknownYearFailsLoudlyInTheLogAndTheMetrics(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	cal, err := newCalendar(Config{}, observability.NewLogger(&logs, 0, true), reg)
	require.NoError(t, err)
	cal.AddWorkingDays(domain.MustDate(2027, time.December, 28), 5) // into 2028
	cal.AddWorkingDays(domain.MustDate(2027, time.December, 29), 5)
	n, err := testutil.GatherAndCount(reg, "kabinet_calendar_unknown_year_total")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "one series, year 2028")
	mfs, err := reg.Gather()
	require.NoError(t, err)
	assert.EqualValues(t, 2, mfs[0].GetMetric()[0].GetCounter().GetValue(), "counted every time")
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("does not know")), "logged, once an hour: %s", logs.String())
	assert.Contains(t, logs.String(), `"year":2028`)
}

func TestCalendar_KABINET_CALENDARAddsYears(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calendar.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"years":[{"year":2028,"holidays":["2028-01-03","2028-11-06"],"working_weekends":["2028-11-04"]}]}`), 0o644))
	cal, err := newCalendar(Config{CalendarFile: path}, observability.NewLogger(io.Discard, 0, true), prometheus.NewRegistry())
	require.NoError(t, err)
	assert.True(t, cal.Knows(2028))
	assert.False(t, cal.IsWorkingDay(domain.MustDate(2028, time.November, 6)))

	require.NoError(t, os.WriteFile(path, []byte(`{"years":[{"year":2028,"working_weekends":["2028-11-06"]}]}`), 0o644))
	_, err = buildApp(context.Background(), calendarServeConfig(t, "--data-dir", t.TempDir(), "--calendar", path), io.Discard)
	require.Error(t, err, "a bad calendar file stops the service from starting")
	assert.Contains(t, err.Error(), "KABINET_CALENDAR")
}

func calendarServeConfig(t *testing.T, args ...string) Config {
	t.Helper()
	c, _, err := parseConfig("serve", args)
	require.NoError(t, err)
	return c
}
