package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/httpx"
)

// faultServer is the whole service run as serve runs it (every worker under
// its lease) behind a real listener, so faults reach it as in production.
type faultServer struct {
	t    *testing.T
	app  *App
	url  string
	http *http.Client
	stop func()
}

func startFaultServer(t *testing.T, args ...string) *faultServer {
	t.Helper()
	c, _, err := parseConfig("serve", append([]string{"--rate-limit", "0", "--request-timeout", "2s"}, args...))
	require.NoError(t, err)
	if !c.Embedded() && c.JournalKey == "" {
		c.JournalKey = testJournalKey(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, c, io.Discard)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	fs := &faultServer{t: t, app: a, url: "http://" + ln.Addr().String(),
		// Past the request timeout plus slack: a hang fails the request.
		http: &http.Client{Timeout: 8 * time.Second}}
	var once sync.Once
	fs.stop = func() {
		once.Do(func() {
			cancel()
			assert.NoError(t, <-done)
			a.Close()
		})
	}
	t.Cleanup(fs.stop)
	return fs
}

type faultAnswer struct {
	status int
	header http.Header
	body   map[string]any
	err    error
}

func (fs *faultServer) do(method, path, token string, body any, hdr ...string) faultAnswer {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, fs.url+path, rd)
	require.NoError(fs.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, raw, err := contractDo(fs.t, fs.http, req)
	if resp == nil { // no answer; a body cut short still has its status
		return faultAnswer{err: err}
	}
	a := faultAnswer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// register tries one registration; ok is whether it was acknowledged.
func (fs *faultServer) register(i int) (id string, position float64, a faultAnswer) {
	a = fs.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": fmt.Sprintf("+7912%07d", i), "consent": consent,
	})
	if a.status == http.StatusCreated {
		id, _ = a.body["account_id"].(string)
		position, _ = a.body["position"].(float64)
	}
	return id, position, a
}

// assertUnavailable checks a refusal while the store is away: an answer (no
// hang past the client's bound), 503 store_unavailable with Retry-After.
func assertUnavailable(t *testing.T, what string, a faultAnswer) {
	t.Helper()
	require.NoError(t, a.err, "%s: the request hung or the connection failed", what)
	assert.Equal(t, http.StatusServiceUnavailable, a.status, "%s: %v", what, a.body)
	assert.Equal(t, httpx.CodeStoreUnavailable, a.body["code"], "%s", what)
	assert.NotEmpty(t, a.header.Get("Retry-After"), "%s: Retry-After", what)
}

// acknowledged are the accounts whose registration answered 201, with the
// position each answer named.
type acknowledged map[string]float64

// assertNothingLost checks every acknowledged account is in the cabinet
// read model (so the projections caught up after the fault, without a
// restart) and in the journal (so did the journal writer).
func (fs *faultServer) assertNothingLost(t *testing.T, acked acknowledged) {
	t.Helper()
	op, err := fs.app.Issuer.Mint(principal("op-faults", "operator", ""), time.Hour)
	require.NoError(t, err)
	sec, err := fs.app.Issuer.Mint(principal("sec-faults", "security", ""), time.Hour)
	require.NoError(t, err)
	for id, pos := range acked {
		require.Eventually(t, func() bool {
			a := fs.do("GET", "/v1/accounts/"+id+"/cabinet", op, nil, "X-Kabinet-Min-Position", fmt.Sprint(int64(pos)))
			return a.status == http.StatusOK
		}, 60*time.Second, 100*time.Millisecond, "cabinet of acknowledged account %s", id)
		require.Eventually(t, func() bool {
			a := fs.do("GET", "/v1/journal?account_id="+id, sec, nil)
			items, _ := a.body["items"].([]any)
			return a.status == http.StatusOK && len(items) > 0
		}, 60*time.Second, 100*time.Millisecond, "journal entry of acknowledged account %s", id)
	}
}

// pgUpstream is the host:port of the test PostgreSQL.
func pgUpstream(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":5432"
	}
	return host
}

// viaProxy is dsn with its host replaced by the proxy's address.
func viaProxy(t *testing.T, dsn, proxy string) string {
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = proxy
	return u.String()
}

func readyStatus(fs *faultServer) int {
	a := fs.do("GET", "/readyz", "", nil)
	if a.err != nil {
		return 0
	}
	return a.status
}
