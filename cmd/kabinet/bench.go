package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/delivery"
)

// codeBook captures one-time codes as they are sent, so a load generator
// can confirm contacts the way a person reading SMS would.
type codeBook struct {
	mu    sync.Mutex
	codes map[string]string
}

func (b *codeBook) Notify(_ context.Context, n delivery.Notification) error {
	if n.Code != "" {
		b.mu.Lock()
		b.codes[n.AccountID] = n.Code
		b.mu.Unlock()
	}
	return nil
}

func (b *codeBook) code(account string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.codes[account]
}

// latencies collects durations per kind of request.
type latencies struct {
	mu   sync.Mutex
	by   map[string][]time.Duration
	errs map[string]int
}

func (l *latencies) add(kind string, d time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		l.errs[kind]++
		return
	}
	l.by[kind] = append(l.by[kind], d)
}

func (l *latencies) report(w io.Writer, elapsed time.Duration) {
	kinds := make([]string, 0, len(l.by))
	for k := range l.by {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "%-22s %9s %10s %9s %9s %9s %7s\n", "kind", "count", "per_sec", "p50_ms", "p99_ms", "max_ms", "errors")
	for _, k := range kinds {
		ds := l.by[k]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		q := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
		fmt.Fprintf(w, "%-22s %9d %10.0f %9.2f %9.2f %9.2f %7d\n", k, len(ds), float64(len(ds))/elapsed.Seconds(), q(0.5), q(0.99), q(1), l.errs[k])
	}
}

// cmdBench drives an in-process, fully embedded Kabinet over real HTTP
// with a mixed workload: each worker registers an account, asks for a
// phone code and confirms it (a simplified account), submits a certificate
// application, has an operator accept, review and approve it, and reads
// the cabinet and the application's status a few times, each read asking
// for its own writes; it prints throughput and latency per kind.
func cmdBench(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("bench", synopses["bench"])
	duration := fs.Duration("duration", 10*time.Second, "how long to run")
	workers := fs.Int("concurrency", 32, "concurrent clients")
	reads := fs.Int("reads", 5, "cabinet and status reads per registered account")
	dataDir := fs.String("data-dir", "", "data dir (default: a temporary one, removed after)")
	withJournal := fs.Bool("journal", true, "run the journal writer (false: measure what journaling costs)")
	every := fs.Duration("report-every", 0, "print throughput, p99, memory and WAL sizes every interval (a soak test; 0: only the summary)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile (what is live once the clients stop) to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "kabinet-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	c, _, err := parseConfig("bench", []string{"--data-dir", dir, "--log-level", "error", "--rate-limit", "0"})
	if err != nil {
		return err
	}
	book := &codeBook{codes: map[string]string{}}
	c.alsoNotify = book
	c.noJournalWriter = !*withJournal
	a, err := buildApp(ctx, c, io.Discard)
	if err != nil {
		return err
	}
	defer a.Close()
	opToken, err := a.Issuer.Mint(auth.Principal{Subject: "bench-operator", Role: auth.RoleOperator}, *duration+time.Hour)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers * 2}}
	load := &benchWorkload{client: client, base: base, book: book, operator: opToken, reads: *reads,
		statusReads: serves(a.Handler, http.MethodGet, "/v1/applications/{app}")}

	lat := &latencies{by: map[string][]time.Duration{}, errs: map[string]int{}}
	var seq atomic.Int64
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	stopProfile := startProfile(*profile)
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				load.flow(lat, seq.Add(1))
			}
		}()
	}
	if *every > 0 {
		soak := newSoakReporter(stdout, lat, dir)
		t := time.NewTicker(*every)
		for time.Now().Add(*every).Before(deadline.Add(*every/2)) && ctx.Err() == nil {
			<-t.C
			soak.report(*every)
		}
		t.Stop()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProfile()
	heapErr := writeHeapProfile(*memProfile)
	stop()
	<-served
	if heapErr != nil {
		return heapErr
	}
	fmt.Fprintf(stdout, "kabinet bench: %d clients, %s, embedded SQLite, journal writer %v, data dir %s\n", *workers, elapsed.Round(time.Millisecond), *withJournal, dir)
	if !load.statusReads {
		fmt.Fprintln(stdout, "(GET /v1/applications/{app} is not served yet: no status reads)")
	}
	lat.report(stdout, elapsed)
	return nil
}

// benchWorkload is one bench run's clients and settings.
type benchWorkload struct {
	client      *http.Client
	base        string
	book        *codeBook
	operator    string // an operator's token
	reads       int
	statusReads bool // the read side serves GET /v1/applications/{app}
}

// flow is one citizen's visit: registration, contact confirmation, a
// certificate application taken to approval by the operator, and reads.
func (w *benchWorkload) flow(lat *latencies, n int64) {
	phone := fmt.Sprintf("+79%09d", n)
	status, body, d := call(w.client, "POST", w.base+"/v1/accounts", "", "",
		fmt.Sprintf(`{"surname":"Иванов","given_names":"Пётр","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"UZ","phone":"%s"}`, phone))
	lat.add("register", d, status == 201)
	if status != 201 {
		return
	}
	id, tok := body["account_id"].(string), body["token"].(string)
	status, _, d = call(w.client, "POST", w.base+"/v1/accounts/"+id+"/contacts/phone/code", tok, "", "")
	lat.add("request_code", d, status == 202)
	status, _, d = call(w.client, "POST", w.base+"/v1/accounts/"+id+"/contacts/phone/confirm", tok, "",
		`{"code":"`+w.book.code(id)+`"}`)
	lat.add("confirm_contact", d, status == 200)
	if status != 200 {
		return
	}
	status, body, d = call(w.client, "POST", w.base+"/v1/accounts/"+id+"/applications", tok, "",
		`{"service":"certificate","form":{"kind":"stay_status","purpose":"для работодателя"}}`)
	lat.add("submit_certificate", d, status == 201)
	pos := positionOf(body)
	if status != 201 {
		w.read(lat, id, tok, "", pos)
		return
	}
	app, _ := body["application_id"].(string)
	for _, step := range []string{"accept", "start-review", "approve"} {
		status, body, d = call(w.client, "POST", w.base+"/v1/applications/"+app+"/"+step, w.operator, "", "")
		lat.add("operator_"+strings.ReplaceAll(step, "-", "_"), d, status == 200)
		if status != 200 {
			break
		}
		pos = positionOf(body)
	}
	w.read(lat, id, tok, app, pos)
}

// read reads the cabinet and the application's status, each waiting for
// the projection to reach pos (read-your-writes).
func (w *benchWorkload) read(lat *latencies, id, tok, app, pos string) {
	for i := 0; i < w.reads; i++ {
		status, _, d := call(w.client, "GET", w.base+"/v1/accounts/"+id+"/cabinet", tok, pos, "")
		lat.add("cabinet_read", d, status == 200)
		if w.statusReads && app != "" {
			status, _, d = call(w.client, "GET", w.base+"/v1/applications/"+app, tok, pos, "")
			lat.add("status_read", d, status == 200)
		}
	}
}

// positionOf is the position a command answered, as a header value.
func positionOf(body map[string]any) string {
	if p, ok := body["position"].(float64); ok {
		return strconv.FormatFloat(p, 'f', 0, 64)
	}
	return ""
}

// serves reports whether router h serves method on the route pattern.
func serves(h http.Handler, method, pattern string) bool {
	routes, ok := h.(chi.Routes)
	if !ok {
		return false
	}
	found := false
	chi.Walk(routes, func(m, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		found = found || (m == method && route == pattern)
		return nil
	})
	return found
}

func call(client *http.Client, method, url, token, minPos, body string) (int, map[string]any, time.Duration) {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if minPos != "" {
		req.Header.Set("X-Kabinet-Min-Position", minPos)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, time.Since(start)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, time.Since(start)
}
