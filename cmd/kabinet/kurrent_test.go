package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// TestServe_OnKurrentDB runs the whole service with KABINET_EVENTSTORE=
// kurrentdb://… against the in-process KurrentDB test double: the same
// register → confirm → cabinet flow, and a journal that verifies.
func TestServe_OnKurrentDB(t *testing.T) {
	double := kurrenttest.Start(t, kurrenttest.Options{})
	conn := strings.Replace(double.ConnString(), "esdb://", "kurrentdb://", 1)
	ts := startServer(t, map[string]string{"eventstore": conn})
	id, tok := ts.register("+79125550001")
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": ts.lastCode(id)})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", position(a))
	require.Equal(t, http.StatusOK, c.status, string(c.raw))
	assert.Equal(t, "simplified", c.body["level"])
	assert.FileExists(t, filepath.Join(ts.app.Config.DataDir, "kurrent-positions.db"), "the position index outlives restarts")

	sec, _ := ts.app.Issuer.Mint(principal("sec-1", "security", ""), time.Hour)
	require.Eventually(t, func() bool {
		return len(journalItems(t, ts, sec, "&account_id="+id)) >= 3
	}, 10*time.Second, 50*time.Millisecond)
	v := ts.do("GET", "/v1/journal/verify", sec, nil)
	assert.Equal(t, true, v.body["ok"], string(v.raw))
}

func TestKurrentConnString(t *testing.T) {
	for in, want := range map[string]string{
		"kurrentdb://a:2113?tls=false": "esdb://a:2113?tls=false",
		"kurrentdb+discover://c:2113":  "esdb+discover://c:2113",
		"esdb://a:2113":                "esdb://a:2113",
	} {
		got, ok := kurrentConnString(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got)
	}
	_, ok := kurrentConnString("postgres://x")
	assert.False(t, ok)
}
