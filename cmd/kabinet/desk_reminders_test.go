package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// reminders counts the DocumentExpiryReminded events of account by days
// before expiry, from the auditor's history.
func (ts *testServer) reminders(account string) map[float64]int {
	ts.t.Helper()
	h := ts.do("GET", "/v1/accounts/"+account+"/history?limit=500", ts.staffToken("auditor", "aud-1"), nil)
	require.Equal(ts.t, http.StatusOK, h.status, string(h.raw))
	out := map[float64]int{}
	for _, it := range h.body["items"].([]any) {
		e := it.(map[string]any)
		if e["type"] == "DocumentExpiryReminded" {
			out[e["data"].(map[string]any)["days_before"].(float64)]++
		}
	}
	return out
}

// TestReminders_ThirtyAndSevenDaysBeforeExpiryEachOnceAcrossRestartsAndInstances
// runs the scheduler of two instances over one set of stores, at once and
// again after a restart: each reminder is recorded, and notified, once.
func TestReminders_ThirtyAndSevenDaysBeforeExpiryEachOnceAcrossRestartsAndInstances(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var env map[string]string
			if backend == "postgres" {
				dsn := sqltest.PGDSN(t)
				env = map[string]string{"eventstore": dsn, "readstore": dsn}
			}
			dir, clk := t.TempDir(), newTestClock()
			a := startServerWithClock(t, env, clk, dir)
			id, _ := a.simplifiedApplicant("+79165550001")
			expires := domain.MoscowDate(clk.Now()).AddDays(40)
			scan := domain.ScanRef{BlobID: newID().String(), Size: 1 << 20, Type: domain.ScanPDF, SHA256: strings.Repeat("ab", 32)}
			a.record(id, clk, func(acc *domain.ForeignerAccount, now time.Time, today domain.Date) error {
				return acc.AddDocument(domain.DocumentInput{Kind: domain.DocumentKindStayRight, Type: domain.DocPatent, Series: "77",
					Number: "2600555555", IssuedAt: today.AddDays(-300).String(), ExpiresAt: expires.String(), Issuer: "ГУ МВД"},
					[]domain.ScanRef{scan}, nil, today, newID(), now)
			})
			ctx := context.Background()
			require.NoError(t, a.app.Scheduler.RunAt(ctx, clk.Now()))
			assert.Empty(t, a.reminders(id), "40 days ahead: no reminder yet")

			clk.Set(expires.AddDays(-30).Time(domain.Moscow).Add(10 * time.Hour))
			var b *testServer
			if backend == "postgres" {
				b = startServerWithClock(t, env, clk, dir) // a second instance on the same stores
				var wg sync.WaitGroup
				for _, ts := range []*testServer{a, b} {
					wg.Add(1)
					go func() { defer wg.Done(); assert.NoError(t, ts.app.Scheduler.RunAt(ctx, clk.Now())) }()
				}
				wg.Wait()
			} else {
				require.NoError(t, a.app.Scheduler.RunAt(ctx, clk.Now()))
			}
			assert.Equal(t, map[float64]int{30: 1}, a.reminders(id))

			a.stop() // a restart: a fresh instance on the same data dir and stores
			if b != nil {
				b.stop()
			}
			c := startServerWithClock(t, env, clk, dir)
			require.NoError(t, c.app.Scheduler.RunAt(ctx, clk.Now()))
			clk.Add(24 * time.Hour)
			require.NoError(t, c.app.Scheduler.RunAt(ctx, clk.Now()))
			assert.Equal(t, map[float64]int{30: 1}, c.reminders(id), "not again after a restart or the next day")

			clk.Set(expires.AddDays(-7).Time(domain.Moscow).Add(10 * time.Hour))
			require.NoError(t, c.app.Scheduler.RunAt(ctx, clk.Now()))
			require.NoError(t, c.app.Scheduler.RunAt(ctx, clk.Now()))
			assert.Equal(t, map[float64]int{30: 1, 7: 1}, c.reminders(id))

			n := c.do("GET", "/v1/accounts/"+id+"/notifications", c.citizenToken(id), nil)
			waitFor(t, func() bool {
				n = c.do("GET", "/v1/accounts/"+id+"/notifications", c.citizenToken(id), nil)
				count := 0
				for _, it := range n.body["items"].([]any) {
					if it.(map[string]any)["kind"] == "reminder" {
						count++
					}
				}
				return count == 2
			}, "a notice for each reminder")
		})
	}
}
