package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// served is an App running Serve on real listeners.
type served struct {
	app        *App
	api, admin string // base URLs; admin empty without an admin address
}

func serveApp(t *testing.T, args ...string) *served {
	t.Helper()
	c, _, err := parseConfig("serve", append([]string{"--data-dir", t.TempDir(), "--denied-rate-limit", "0"}, args...))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, c, io.Discard)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &served{app: a, api: "http://" + ln.Addr().String()}
	if c.AdminAddr != "" {
		a.AdminListener, err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		s.admin = "http://" + a.AdminListener.Addr().String()
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get(s.api + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	return s
}

func getURL(t *testing.T, url string) (int, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header
}

func TestAdminAddr_MetricsAndPprofMoveOffTheAPIAddress(t *testing.T) {
	s := serveApp(t, "--admin-addr", "127.0.0.1:0")
	for path, want := range map[string]int{"/metrics": 404, "/debug/pprof/": 404, "/healthz": 200} {
		code, _ := getURL(t, s.api+path)
		assert.Equal(t, want, code, "API "+path)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/cmdline"} {
		code, h := getURL(t, s.admin+path)
		assert.Equal(t, 200, code, "admin "+path)
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	}
}

func TestAdminAddr_UnsetKeepsMetricsOnTheAPIAddressWithoutPprof(t *testing.T) {
	s := serveApp(t)
	code, _ := getURL(t, s.api+"/metrics")
	assert.Equal(t, 200, code)
	code, _ = getURL(t, s.api+"/debug/pprof/")
	assert.Equal(t, 404, code, "the profiler is never on the API address")
}

func TestHTTPServer_CarriesTheConfiguredTimeouts(t *testing.T) {
	c, _, err := parseConfig("serve", []string{"--read-header-timeout", "3s", "--read-timeout", "4s",
		"--write-timeout", "5s", "--idle-timeout", "6s"})
	require.NoError(t, err)
	srv := (&App{Config: c}).httpServer(http.NotFoundHandler())
	assert.Equal(t, []time.Duration{3 * time.Second, 4 * time.Second, 5 * time.Second, 6 * time.Second},
		[]time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout})

	def, _, err := parseConfig("serve", nil)
	require.NoError(t, err)
	assert.Equal(t, HTTPTimeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Write: time.Minute, Idle: 2 * time.Minute}, def.HTTP)
	_, _, err = parseConfig("serve", []string{"--write-timeout", "0s"})
	assert.Error(t, err)
}

// closedByServer reads conn until the server closes it; the guard
// deadline only keeps a broken server from hanging the test.
func closedByServer(t *testing.T, conn net.Conn, r *bufio.Reader) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err := io.ReadAll(r)
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the server kept the connection open")
}

func TestHTTPServer_DropsAClientThatNeverFinishesItsHeaders(t *testing.T) {
	s := serveApp(t, "--read-header-timeout", "300ms")
	conn, err := net.Dial("tcp", s.api[len("http://"):])
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: kabinet\r\nX-Slow: "))
	require.NoError(t, err)
	closedByServer(t, conn, bufio.NewReader(conn))
}

func TestHTTPServer_ClosesAnIdleKeepAliveConnection(t *testing.T) {
	s := serveApp(t, "--idle-timeout", "300ms")
	conn, err := net.Dial("tcp", s.api[len("http://"):])
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: kabinet\r\n\r\n"))
	require.NoError(t, err)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	closedByServer(t, conn, r)
}

func TestSecureHeaders_NoStoreOnTokensAndPersonalDataNoSniffEverywhere(t *testing.T) {
	ts := startServer(t, nil)
	a := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": "+79129990001", "consent": consent,
	})
	require.Equal(t, http.StatusCreated, a.status)
	id, tok := a.body["account_id"].(string), a.body["token"].(string)
	answers := map[string]answer{
		"registration (a token)": a,
		"cabinet (personal)":     ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil),
		"a problem":              ts.do("GET", "/v1/accounts/"+id+"/cabinet", "", nil),
		"no such route":          ts.do("GET", "/nowhere", "", nil),
		"health":                 ts.do("GET", "/healthz", "", nil),
	}
	for name, ans := range answers {
		assert.Equal(t, "nosniff", ans.header.Get("X-Content-Type-Options"), name)
		assert.Equal(t, "no-store", ans.header.Get("Cache-Control"), name)
	}
}
