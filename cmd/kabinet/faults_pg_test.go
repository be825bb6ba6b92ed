package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// pgProxy is a fault-injecting TCP proxy (toxiproxy, as a library) between
// the service and the test PostgreSQL.
func pgProxy(t *testing.T, upstream string) *toxiproxy.Proxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "postgres", "127.0.0.1:0", upstream)
	require.NoError(t, p.Start())
	t.Cleanup(p.Stop)
	return p
}

// toxic adds one toxic to p, as toxiproxy's API takes it.
func toxic(t *testing.T, p *toxiproxy.Proxy, json string) {
	t.Helper()
	_, err := p.Toxics.AddToxicJson(strings.NewReader(json))
	require.NoError(t, err)
}

// TestStoreFaults_PostgreSQLCutStalledAndBack runs the service with events,
// read models, journal and leases on PostgreSQL behind a proxy, and injects
// in turn: a cut (every connection closed and new ones refused, as in a
// restart), a half-open stall (connections accepted, nothing ever answered),
// and added latency. While the store is away commands answer 503
// store_unavailable with Retry-After, never hang past the request timeout
// and never 500, and /readyz is unready; when it returns the service
// resumes by itself: commands succeed, the projections and the journal
// writer catch up from their checkpoints and every acknowledged command is
// found.
func TestStoreFaults_PostgreSQLCutStalledAndBack(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	proxy := pgProxy(t, pgUpstream(t, dsn))
	through := viaProxy(t, dsn, proxy.Listen)
	fs := startFaultServer(t, "--data-dir", t.TempDir(), "--eventstore", through, "--readstore", through)
	acked := acknowledged{}
	n := 0
	registerAcked := func(what string) {
		t.Helper()
		require.Eventually(t, func() bool {
			n++
			id, pos, a := fs.register(n)
			if id == "" {
				require.NoError(t, a.err, "%s: no answer", what)
				require.NotEqual(t, http.StatusInternalServerError, a.status, "%s: %v", what, a.body)
				return false
			}
			acked[id] = pos
			return true
		}, 60*time.Second, 200*time.Millisecond, "%s: a registration is acknowledged", what)
	}
	for range 3 {
		registerAcked("before the faults")
	}
	require.Equal(t, http.StatusOK, readyStatus(fs))

	t.Log("injected: the proxy is stopped (connections cut, new ones refused)")
	proxy.Stop()
	for range 3 {
		n++
		_, _, a := fs.register(n)
		assertUnavailable(t, "register while cut", a)
	}
	require.Equal(t, http.StatusServiceUnavailable, readyStatus(fs), "readyz while cut")

	t.Log("restored: the proxy accepts again (a restarted server)")
	require.NoError(t, proxy.Start())
	require.Eventually(t, func() bool { return readyStatus(fs) == http.StatusOK }, 60*time.Second, 100*time.Millisecond)
	registerAcked("after the cut")

	t.Log("injected: a half-open connection (a timeout toxic with no timeout: nothing goes through)")
	toxic(t, proxy, `{"name":"stall","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`)
	for range 2 {
		n++
		_, _, a := fs.register(n)
		assertUnavailable(t, "register while stalled", a)
	}
	require.Equal(t, http.StatusServiceUnavailable, readyStatus(fs), "readyz while stalled")
	require.NoError(t, proxy.Toxics.RemoveToxic(t.Context(), "stall"))
	// Connections stalled half-open stay so: cut them, as a server restart would.
	proxy.Stop()
	require.NoError(t, proxy.Start())
	require.Eventually(t, func() bool { return readyStatus(fs) == http.StatusOK }, 60*time.Second, 100*time.Millisecond)
	registerAcked("after the stall")

	t.Log("injected: 50 ms of latency each way; commands are slower, not refused")
	toxic(t, proxy, `{"name":"slow","type":"latency","stream":"downstream","attributes":{"latency":50}}`)
	registerAcked("with latency")
	require.NoError(t, proxy.Toxics.RemoveToxic(t.Context(), "slow"))

	t.Logf("saw: %d acknowledged registrations; checking each reached the read model and the journal", len(acked))
	fs.assertNothingLost(t, acked)
}
