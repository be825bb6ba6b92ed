package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConsent_RequiredAtRegistration(t *testing.T) {
	ts := startServer(t, nil)
	form := func(c any) map[string]any {
		m := map[string]any{"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": "+79127100001"}
		if c != nil {
			m["consent"] = c
		}
		return m
	}
	for name, c := range map[string]any{
		"absent":          nil,
		"refused":         map[string]any{"personal_data": false, "version": "2026-01"},
		"no version":      map[string]any{"personal_data": true},
		"unknown version": map[string]any{"personal_data": true, "version": "1999-01"},
	} {
		a := ts.do("POST", "/v1/accounts", "", form(c))
		assert.Equal(t, http.StatusUnprocessableEntity, a.status, name)
		assert.Equal(t, "consent_required", a.body["code"], name)
		assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"), name)
	}
	head, err := ts.app.Store.Head(t.Context())
	require.NoError(t, err)
	assert.Zero(t, head, "no refused registration wrote anything")
	bad := ts.do("POST", "/v1/accounts", "", `{"surname":"A","given_names":"B","citizenship":"UZ","phone":"+79127100001","consent":{"personal_data":"yes"}}`)
	assert.Equal(t, http.StatusBadRequest, bad.status)
}

func TestConsent_ShownInTheCabinetAndWithdrawn(t *testing.T) {
	eachStore(t, func(t *testing.T, ts *testServer) {
		id, tok := ts.register("+79127100002")
		c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", "2")
		require.Equal(t, http.StatusOK, c.status, string(c.raw))
		cons := c.body["consent"].(map[string]any)
		assert.Equal(t, "2026-01", cons["version"])
		assert.NotEmpty(t, cons["given_at"])
		assert.Nil(t, cons["withdrawn_at"])

		_, otherTok := ts.register("+79127100003")
		op, err := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
		require.NoError(t, err)
		path := "/v1/accounts/" + id + "/consents/personal_data"
		assert.Equal(t, http.StatusNotFound, ts.do("DELETE", path, otherTok, nil).status, "another citizen")
		assert.Equal(t, http.StatusNotFound, ts.do("DELETE", path, op, nil).status, "staff may not withdraw for the citizen")
		assert.Equal(t, http.StatusUnauthorized, ts.do("DELETE", path, "", nil).status)
		assert.Equal(t, http.StatusNotFound, ts.do("DELETE", "/v1/accounts/"+id+"/consents/marketing", tok, nil).status)

		w := ts.do("DELETE", path, tok, nil)
		require.Equal(t, http.StatusOK, w.status, string(w.raw))
		again := ts.do("DELETE", path, tok, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, again.status)
		assert.Equal(t, "account_closed", again.body["code"], "the withdrawal closed the account")

		c = ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", position(w))
		require.Equal(t, http.StatusOK, c.status)
		assert.NotEmpty(t, c.body["consent"].(map[string]any)["withdrawn_at"])

		aud, err := ts.app.Issuer.Mint(principal("aud-1", "auditor", ""), time.Hour)
		require.NoError(t, err)
		h := ts.do("GET", "/v1/accounts/"+id+"/history", aud, nil)
		require.Equal(t, http.StatusOK, h.status)
		var types []string
		for _, it := range h.body["items"].([]any) {
			types = append(types, it.(map[string]any)["type"].(string))
		}
		assert.Equal(t, []string{"AccountRegistered", "ConsentGiven", "ConsentWithdrawn", "AccountClosed"}, types)
	})
}

func TestIdempotency_RegistrationReplayNeverHandsOutTheToken(t *testing.T) {
	eachStore(t, func(t *testing.T, ts *testServer) {
		body := map[string]any{"surname": "Ли", "given_names": "Вэй", "citizenship": "CN", "email": "wei.li2@example.com", "consent": consent}
		first := ts.do("POST", "/v1/accounts", "", body, "Idempotency-Key", "reg-1", "User-Agent", "browser/1")
		require.Equal(t, http.StatusCreated, first.status, string(first.raw))
		require.NotEmpty(t, first.body["token"])
		assert.Equal(t, "no-store", first.header.Get("Cache-Control"))

		same := ts.do("POST", "/v1/accounts", "", body, "Idempotency-Key", "reg-1", "User-Agent", "browser/1")
		assert.Equal(t, http.StatusCreated, same.status)
		assert.Equal(t, "true", same.header.Get("Idempotent-Replayed"))
		assert.Equal(t, first.body["account_id"], same.body["account_id"])
		assert.NotContains(t, same.body, "token", "a replay never carries the token")
		assert.NotContains(t, string(same.raw), first.body["token"].(string))

		other := ts.do("POST", "/v1/accounts", "", body, "Idempotency-Key", "reg-1", "User-Agent", "curl/8")
		assert.Empty(t, other.header.Get("Idempotent-Replayed"), "another client's key is its own")
		assert.NotEqual(t, first.body["account_id"], other.body["account_id"], "nothing of the first answer")
		assert.NotEqual(t, first.body["token"], other.body["token"])
	})
}
