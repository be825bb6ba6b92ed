package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// benchServer is a wired App behind httptest for benchmarks.
func benchServer(b *testing.B, noSessionCache bool) (*App, *httptest.Server) {
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
	srv := httptest.NewServer(a.Handler)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.Runner.Run(ctx) }()
	go func() { defer wg.Done(); a.JournalWriter.Run(ctx) }()
	b.Cleanup(func() { srv.Close(); cancel(); wg.Wait(); a.Close() })
	return a, srv
}

func benchGet(b *testing.B, client *http.Client, url, tok string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// BenchmarkCabinetGET reads one cabinet over real HTTP with a token that
// carries no session (no session check), with a session token (the check,
// through its one-second cache) and with the cache off (a read-store query
// on every request). The session check's cost is the difference.
func BenchmarkCabinetGET(b *testing.B) {
	for _, tc := range []struct {
		name             string
		session, noCache bool
	}{{"no-session", false, false}, {"session", true, false}, {"session-uncached", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			a, srv := benchServer(b, tc.noCache)
			body, _ := json.Marshal(map[string]string{"surname": "Ли", "given_names": "Вэй", "citizenship": "CN", "email": "bench@example.com"})
			resp, err := http.Post(srv.URL+"/v1/accounts", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			var reg map[string]any
			json.NewDecoder(resp.Body).Decode(&reg)
			resp.Body.Close()
			id := reg["account_id"].(string)
			tok := reg["token"].(string)
			if !tc.session {
				tok, _ = a.Issuer.Mint(principal(id, "citizen", id), time.Hour)
			}
			url := srv.URL + "/v1/accounts/" + id + "/cabinet"
			client := srv.Client()
			for benchGet(b, client, url, tok) != http.StatusOK {
				time.Sleep(10 * time.Millisecond) // the projection catches up
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if s := benchGet(b, client, url, tok); s != http.StatusOK {
						b.Errorf("status %d", s)
						return
					}
				}
			})
		})
	}
}
