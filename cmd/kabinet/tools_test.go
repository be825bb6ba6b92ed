package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/projections/cabinet"
)

func TestRebuildCommand_RebuildsTheSameCabinet(t *testing.T) {
	ts := startServer(t, nil)
	var ids []string
	for i := 0; i < 5; i++ {
		id, tok := ts.register("+7912000000" + string(rune('0'+i)))
		ids = append(ids, id)
		if i%2 == 0 {
			ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil)
			require.Equal(t, 200, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok,
				map[string]string{"code": ts.lastCode(id)}).status)
		}
	}
	head, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)
	_, err = ts.app.Runner.Tracker.Wait(context.Background(), cabinet.ProjectorName, head, 5*time.Second)
	require.NoError(t, err)
	before := cabinets(t, ts, ids)
	ts.stop()

	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"projections", "rebuild", "cabinet", "--data-dir", ts.dataDir}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	assert.Contains(t, out.String(), "rebuilt cabinet")
	assert.Contains(t, errOut.String(), "rebuild cabinet", "progress bar")

	c, _, err := parseConfig("serve", []string{"--data-dir", ts.dataDir})
	require.NoError(t, err)
	a, err := buildApp(context.Background(), c, io.Discard)
	require.NoError(t, err)
	defer a.Close()
	r := cabinet.NewReader(a.Read)
	for _, id := range ids {
		v, err := r.Get(context.Background(), uuid.MustParse(id))
		require.NoError(t, err)
		assert.Equal(t, before[id], *v)
	}
	err = run(context.Background(), []string{"projections", "rebuild", "nope", "--data-dir", ts.dataDir}, &out, &errOut)
	assert.ErrorContains(t, err, "no projection named nope")
}

func cabinets(t *testing.T, ts *testServer, ids []string) map[string]cabinet.View {
	r := cabinet.NewReader(ts.app.Read)
	m := map[string]cabinet.View{}
	for _, id := range ids {
		v, err := r.Get(context.Background(), uuid.MustParse(id))
		require.NoError(t, err)
		require.NotNil(t, v)
		m[id] = *v
	}
	return m
}

func TestTokenCommand_MintsATokenTheServerAccepts(t *testing.T) {
	ts := startServer(t, nil)
	id, _ := ts.register("+79120000099")
	var out bytes.Buffer
	err := run(context.Background(), []string{"token", "--data-dir", ts.dataDir, "--role", "operator", "--sub", "op-9"}, &out, io.Discard)
	require.NoError(t, err)
	tok := strings.TrimSpace(out.String())
	p, err := auth.NewVerifier(ts.app.Issuer.Secret, time.Now).Verify(tok)
	require.NoError(t, err)
	assert.Equal(t, "op-9", p.Subject)
	require.Eventually(t, func() bool { return ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil).status == 200 }, 5*time.Second, 20*time.Millisecond)

	err = run(context.Background(), []string{"token", "--data-dir", ts.dataDir, "--role", "citizen", "--sub", "x"}, &out, io.Discard)
	assert.ErrorContains(t, err, "citizen tokens need --account")
	err = run(context.Background(), []string{"token", "--data-dir", ts.dataDir, "--role", "root", "--sub", "x"}, &out, io.Discard)
	assert.Error(t, err)
	st, err := os.Stat(filepath.Join(ts.dataDir, "jwt.secret"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestMetrics_ExposeRoutesAppendsAndProjectionLag(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79120000098")
	require.Eventually(t, func() bool {
		// Position 2 is the registration's ConsentGiven: the projection has both events.
		return ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", "2").status == 200
	}, 5*time.Second, 20*time.Millisecond)
	m := string(ts.do("GET", "/metrics", "", nil).raw)
	assert.Contains(t, m, `http_requests_total{method="POST",route="/v1/accounts",status="201"} 1`)
	assert.Contains(t, m, `route="/v1/accounts/{id}/cabinet"`)
	assert.NotContains(t, m, id, "no ids in labels")
	assert.Contains(t, m, "http_request_duration_seconds_bucket")
	assert.Contains(t, m, "eventstore_appended_events_total 2", "AccountRegistered and ConsentGiven")
	// The runner reports where each projection stands twice a second.
	require.Eventually(t, func() bool {
		m := string(ts.do("GET", "/metrics", "", nil).raw)
		return strings.Contains(m, `projection_position{projection="cabinet"} 2`) &&
			strings.Contains(m, `projection_lag_events{projection="cabinet"} 0`)
	}, 10*time.Second, 50*time.Millisecond, "projection position and lag")
}
