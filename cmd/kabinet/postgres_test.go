package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// TestServe_OnPostgreSQL runs the service with events, read models and the
// journal in PostgreSQL: register, a wrong code, the right one, the cabinet,
// the auditor's history and a verified journal.
func TestServe_OnPostgreSQL(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	ts := startServer(t, map[string]string{"eventstore": dsn, "readstore": dsn})
	id, tok := ts.register("+79126660001")
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	code := ts.lastCode(id)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	assert.Equal(t, http.StatusUnprocessableEntity, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": wrong}).status)
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": code})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", position(a))
	require.Equal(t, http.StatusOK, c.status, string(c.raw))
	assert.Equal(t, "simplified", c.body["level"])

	aud, _ := ts.app.Issuer.Mint(principal("aud-1", "auditor", ""), time.Hour)
	h := ts.do("GET", "/v1/accounts/"+id+"/history", aud, nil)
	require.Equal(t, http.StatusOK, h.status)
	items := h.body["items"].([]any)
	require.Len(t, items, 5, "registered, consent given, requested, failed, confirmed: the contact claim is its own stream")
	failed := items[3].(map[string]any)
	assert.Equal(t, "ContactConfirmationFailed", failed["type"])
	assert.Equal(t, "refused", failed["metadata"].(map[string]any)["outcome"])
	assert.Equal(t, "code_invalid", failed["metadata"].(map[string]any)["reason"])

	sec, _ := ts.app.Issuer.Mint(principal("sec-1", "security", ""), time.Hour)
	require.Eventually(t, func() bool {
		return len(journalItems(t, ts, sec, "&account_id="+id)) >= 4
	}, 10*time.Second, 50*time.Millisecond)
	v := ts.do("GET", "/v1/journal/verify", sec, nil)
	assert.Equal(t, true, v.body["ok"], string(v.raw))
}
