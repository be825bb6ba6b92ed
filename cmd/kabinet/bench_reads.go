package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/httpx"
)

// cmdBenchReads measures the read path at many connections against the
// ceiling of this machine's HTTP stack: a bare chi JSON handler served and
// loaded the same way in the same run, so each figure comes with its ratio.
func cmdBenchReads(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("bench reads", "[flags]")
	duration := fs.Duration("duration", 10*time.Second, "how long each target is loaded")
	conns := fs.Int("connections", 64, "concurrent keep-alive connections")
	accounts := fs.Int("accounts", 200, "accounts (each with an application) the reads spread over")
	rounds := fs.Int("rounds", 2, "rounds over all targets; each target's best round is reported")
	profile := fs.String("cpuprofile", "", "write a CPU profile of each route's phase to this file, suffixed .cabinet, .application and .queue")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kabinet-bench-reads-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c, _, err := parseConfig("bench", []string{"--data-dir", dir, "--log-level", "error", "--rate-limit", "0"})
	if err != nil {
		return err
	}
	book := &codeBook{codes: map[string]string{}}
	c.alsoNotify = book
	a, err := buildApp(ctx, c, io.Discard)
	if err != nil {
		return err
	}
	defer a.Close()
	op, err := a.Issuer.Mint(auth.Principal{Subject: "bench-operator", Role: auth.RoleOperator}, time.Hour)
	if err != nil {
		return err
	}
	base, stop, err := serveOn(ctx, a)
	if err != nil {
		return err
	}
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns * 2, MaxConnsPerHost: *conns}}
	seed := &benchWorkload{client: client, base: base, book: book, operator: op}
	targets, err := seedReads(seed, *accounts)
	if err != nil {
		return err
	}
	queueURL := base + "/v1/operator/queue?kind=applications"
	queueBody, err := fetchBody(client, queueURL, op)
	if err != nil {
		return err
	}
	bare, stopBare, err := bareJSON(queueBody)
	if err != nil {
		return err
	}
	defer stopBare()
	// The journal writer finishes the seeding's entries (the page's read
	// above among them) before the first phase, which they would slow.
	if err := settle(ctx, a); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "kabinet bench reads: %d connections, %s per target, %d rounds (best of each), embedded SQLite, %d accounts\n",
		*conns, *duration, *rounds, len(targets))
	pick := func(i int) benchTarget { return targets[i%len(targets)] }
	phases := []readPhase{
		{"bare chi JSON handler", "", func(int) (string, string) { return bare + "/bare", "" }},
		{"bare, the queue's page", "", func(int) (string, string) { return bare + "/page", "" }},
		{"GET /v1/accounts/{id}/cabinet", "cabinet", func(i int) (string, string) {
			t := pick(i)
			return base + "/v1/accounts/" + t.account + "/cabinet", t.token
		}},
		{"GET /v1/applications/{app}", "application", func(i int) (string, string) {
			t := pick(i)
			return base + "/v1/applications/" + t.app, t.token
		}},
		{"GET /v1/operator/queue", "queue", func(int) (string, string) { return queueURL, op }},
	}
	best := make([]phaseResult, len(phases))
	for round := range *rounds {
		for i, ph := range phases {
			path := ""
			if *profile != "" && ph.suffix != "" && round == 0 {
				path = *profile + "." + ph.suffix
			}
			var res phaseResult
			withProfile(path, func() { res = loadPhase(client, *conns, *duration, ph.target) })
			if res.perSec > best[i].perSec {
				best[i] = res
			}
			// The queue's reads are journaled: let the writer finish them
			// before the next phase, which they would otherwise slow.
			if err := settle(ctx, a); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stdout, "%-28s %10s %9s %9s %8s %8s %8s\n", "target", "req/s", "p50_ms", "p99_ms", "ratio", "p99x", "errors")
	for i, ph := range phases {
		best[i].print(stdout, ph.name, best[0])
	}
	page, queue := best[1], best[len(best)-1]
	fmt.Fprintf(stdout, "the queue's page is %d bytes; the queue against the bare handler serving it: %.2f (p99 %.2f times)\n",
		len(queueBody), queue.perSec/page.perSec, float64(queue.p99)/float64(page.p99))
	return nil
}

// readPhase is one target of the read benchmark.
type readPhase struct {
	name, suffix string // suffix: of the CPU profile's file; "" for none
	target       func(i int) (url, token string)
}

// settle waits until the journal writer has journaled everything so far,
// so that no phase pays for the writes of the one before.
func settle(ctx context.Context, a *App) error {
	if a.JournalWriter == nil {
		return nil
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := a.JournalWriter.Status(ctx)
		if err != nil {
			return fmt.Errorf("bench: journal status: %w", err)
		}
		if st.CaughtUp() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the journal writer did not catch up in a minute (%+v)", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// benchTarget is one seeded account with its token and application.
type benchTarget struct{ account, token, app string }

// seedReads registers accounts through the API, each confirming its phone
// and filing an application, and waits until the read side shows them.
func seedReads(w *benchWorkload, n int) ([]benchTarget, error) {
	var out []benchTarget
	var last string
	for i := range n {
		phone := fmt.Sprintf("+79%09d", 500_000_000+i)
		status, body, _ := call(w.client, "POST", w.base+"/v1/accounts", "", "",
			fmt.Sprintf(`{"surname":"Иванов","given_names":"Пётр","citizenship":"UZ","phone":"%s","consent":{"personal_data":true,"version":"2026-01"}}`, phone))
		if status != http.StatusCreated {
			return nil, fmt.Errorf("seed: register answered %d", status)
		}
		t := benchTarget{account: body["account_id"].(string), token: body["token"].(string)}
		call(w.client, "POST", w.base+"/v1/accounts/"+t.account+"/contacts/phone/code", t.token, "", "")
		call(w.client, "POST", w.base+"/v1/accounts/"+t.account+"/contacts/phone/confirm", t.token, "",
			`{"code":"`+w.book.code(t.account)+`"}`)
		status, body, _ = call(w.client, "POST", w.base+"/v1/accounts/"+t.account+"/applications", t.token, "",
			`{"service":"certificate","form":{"kind":"stay_status","purpose":"для работодателя"}}`)
		if status != http.StatusCreated {
			return nil, fmt.Errorf("seed: submit answered %d", status)
		}
		t.app, _ = body["application_id"].(string)
		last = positionOf(body)
		out = append(out, t)
	}
	// Read-your-writes once: every projection has reached the last write.
	if status, _, _ := call(w.client, "GET", w.base+"/v1/applications/"+out[len(out)-1].app, out[len(out)-1].token, last, ""); status != http.StatusOK {
		return nil, fmt.Errorf("seed: the read side did not catch up (%d)", status)
	}
	return out, nil
}

// serveOn serves the app's roles on a loopback port.
func serveOn(ctx context.Context, a *App) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx, ln) }()
	return "http://" + ln.Addr().String(), func() { stop(); <-served }, nil
}

// bareJSON serves the references: a chi router with one handler writing a
// small JSON object through the same httpx.WriteJSON the API uses, and one
// writing page (the operator queue's, fetched once) as the API writes it,
// which tells what of the queue's cost is the size of its answer.
func bareJSON(page []byte) (string, func(), error) {
	r := chi.NewRouter()
	body := map[string]any{"account_id": "01966b3a-0000-7000-8000-000000000000", "level": "simplified", "position": 12345}
	r.Get("/bare", func(w http.ResponseWriter, _ *http.Request) { httpx.WriteJSON(w, http.StatusOK, body) })
	r.Get("/page", func(w http.ResponseWriter, _ *http.Request) { httpx.WriteEncodedJSON(w, page) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// phaseResult is one target's throughput and latencies.
type phaseResult struct {
	perSec   float64
	p50, p99 time.Duration
	errors   int
}

func (p phaseResult) print(w io.Writer, name string, ref phaseResult) {
	fmt.Fprintf(w, "%-28s %10.0f %9.2f %9.2f %8.2f %8.2f %8d\n", name, p.perSec,
		float64(p.p50.Microseconds())/1000, float64(p.p99.Microseconds())/1000, p.perSec/ref.perSec,
		float64(p.p99)/float64(ref.p99), p.errors)
}

// loadPhase keeps conns requests in flight for d, each from target(i).
func loadPhase(client *http.Client, conns int, d time.Duration, target func(i int) (url, token string)) phaseResult {
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := c; time.Now().Before(deadline); i += conns {
				url, tok := target(i)
				status, took := get(client, url, tok)
				if status != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, took)
			}
			mu.Lock()
			all = append(all, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := phaseResult{perSec: float64(len(all)) / elapsed.Seconds(), errors: errs}
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[int(0.99*float64(len(all)-1))]
	}
	return r
}

// fetchBody GETs url once and returns its answer's body, which must be a 200.
func fetchBody(client *http.Client, url, token string) ([]byte, error) {
	resp, err := client.Do(getRequest(url, token))
	if err != nil {
		return nil, fmt.Errorf("bench: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: GET %s: %d %s %v", url, resp.StatusCode, body, err)
	}
	return body, nil
}

// getRequest is a GET of url, with token as its bearer when not empty.
func getRequest(url, token string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, url, nil) // the URLs are the bench's own
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// get sends one GET and drains the answer.
func get(client *http.Client, url, token string) (int, time.Duration) {
	req := getRequest(url, token)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, time.Since(start)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// withProfile runs f under a CPU profile written to path ("" : no profile).
func withProfile(path string, f func()) {
	defer startProfile(path)()
	f()
}

// writeHeapProfile writes what is live on the heap, after a collection, to
// path ("": nothing).
func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(out, 0); err != nil {
		out.Close()
		return fmt.Errorf("bench: heap profile: %w", err)
	}
	return out.Close()
}

// startProfile starts a CPU profile written to path ("": none) and returns
// what stops it.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	out, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if pprof.StartCPUProfile(out) != nil {
		out.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); out.Close() }
}
