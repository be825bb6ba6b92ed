package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchServer is a wired App, its projections and journal writer running.
func benchServer(b *testing.B, noSessionCache bool) *App {
	b.Helper()
	c, _, err := parseConfig("serve", []string{"--data-dir", b.TempDir(), "--rate-limit", "0", "--log-level", "error"})
	if err != nil {
		b.Fatal(err)
	}
	c.noSessionCache = noSessionCache
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, c, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.Runner.Run(ctx) }()
	go func() { defer wg.Done(); a.JournalWriter.Run(ctx) }()
	b.Cleanup(func() { cancel(); wg.Wait(); a.Close() })
	return a
}

// benchGet serves one cabinet read through the real router.
func benchGet(h http.Handler, url, tok string) int {
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// BenchmarkCabinetGET reads one cabinet through the real router (every
// middleware, the JWT, the guard, the SQLite read model) with a token that
// carries no session (no session check), with a session token (the check,
// through its one-second cache) and with the cache off (a read-store query
// on every request). The session check's cost is the difference.
func BenchmarkCabinetGET(b *testing.B) {
	for _, tc := range []struct {
		name             string
		session, noCache bool
	}{{"no-session", false, false}, {"session", true, false}, {"session-uncached", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			a := benchServer(b, tc.noCache)
			body, _ := json.Marshal(map[string]any{"surname": "Ли", "given_names": "Вэй", "citizenship": "CN", "email": "bench@example.com", "consent": consent})
			req := httptest.NewRequest(http.MethodPost, "/v1/accounts", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			a.Handler.ServeHTTP(rec, req)
			var reg map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &reg); err != nil || rec.Code != http.StatusCreated {
				b.Fatalf("register: %d %s", rec.Code, rec.Body)
			}
			id := reg["account_id"].(string)
			tok := reg["token"].(string)
			if !tc.session {
				tok, _ = a.Issuer.Mint(principal(id, "citizen", id), time.Hour)
			}
			url := "/v1/accounts/" + id + "/cabinet"
			for benchGet(a.Handler, url, tok) != http.StatusOK {
				time.Sleep(10 * time.Millisecond) // the projection catches up
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for range b.N {
				if s := benchGet(a.Handler, url, tok); s != http.StatusOK {
					b.Fatalf("status %d", s)
				}
			}
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
