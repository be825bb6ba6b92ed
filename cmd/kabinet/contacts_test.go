package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// eachStore runs f against a server on SQLite and one on PostgreSQL.
func eachStore(t *testing.T, f func(t *testing.T, ts *testServer)) {
	t.Run("sqlite", func(t *testing.T) { f(t, startServer(t, nil)) })
	t.Run("postgres", func(t *testing.T) {
		dsn := sqltest.PGDSN(t)
		f(t, startServer(t, map[string]string{"eventstore": dsn, "readstore": dsn}))
	})
}

// codeTo reads the newest one-time code sent to the address to.
func (ts *testServer) codeTo(to string) string {
	ts.t.Helper()
	f, err := os.Open(filepath.Join(ts.dataDir, "outbox.jsonl"))
	require.NoError(ts.t, err)
	defer f.Close()
	code := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n map[string]any
		require.NoError(ts.t, json.Unmarshal(sc.Bytes(), &n))
		if n["to"] == to && n["code"] != nil {
			code = n["code"].(string)
		}
	}
	require.NotEmpty(ts.t, code, "no code sent to %s", to)
	return code
}

// confirmedAccount registers with phone and confirms it.
func (ts *testServer) confirmedAccount(phone string) (id, tok string) {
	ts.t.Helper()
	id, tok = ts.register(phone)
	require.Equal(ts.t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": ts.codeTo(phone)})
	require.Equal(ts.t, http.StatusOK, a.status, string(a.raw))
	return id, tok
}

// cabinetContacts reads the cabinet once it has seen position pos.
func (ts *testServer) cabinetContacts(id, tok, pos string) []map[string]any {
	ts.t.Helper()
	c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", pos)
	require.Equal(ts.t, http.StatusOK, c.status, string(c.raw))
	var out []map[string]any
	for _, x := range c.body["contacts"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestContacts_AddConfirmByValueThenRemoveButNeverTheLastConfirmed(t *testing.T) {
	eachStore(t, func(t *testing.T, ts *testServer) {
		id, tok := ts.confirmedAccount("+79127000001")
		add := ts.do("POST", "/v1/accounts/"+id+"/contacts", tok, map[string]string{"channel": "phone", "value": "8 912 700-00-02"})
		require.Equal(t, http.StatusAccepted, add.status, string(add.raw))
		assert.Equal(t, "+79127000002", add.body["value"])
		code := ts.codeTo("+79127000002")

		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		q := "?value=" + url.QueryEscape("+79127000002")
		bad := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm"+q, tok, map[string]string{"code": wrong})
		assert.Equal(t, http.StatusUnprocessableEntity, bad.status)
		assert.EqualValues(t, 2, bad.body["attempts_left"], "the new contact has its own counter")
		ok := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm"+q, tok, map[string]string{"code": code})
		require.Equal(t, http.StatusOK, ok.status, string(ok.raw))

		contacts := ts.cabinetContacts(id, tok, position(ok))
		require.Len(t, contacts, 2, "the cabinet shows every contact")
		for _, c := range contacts {
			assert.Equal(t, true, c["confirmed"], c["value"])
		}

		del := ts.do("DELETE", "/v1/accounts/"+id+"/contacts/phone/"+url.PathEscape("+79127000001"), tok, nil)
		require.Equal(t, http.StatusOK, del.status, string(del.raw))
		contacts = ts.cabinetContacts(id, tok, position(del))
		require.Len(t, contacts, 1)
		assert.Equal(t, "+79127000002", contacts[0]["value"])

		last := ts.do("DELETE", "/v1/accounts/"+id+"/contacts/phone/%2B79127000002", tok, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, last.status)
		assert.Equal(t, "last_contact", last.body["code"])
		assert.Equal(t, "application/problem+json", last.header.Get("Content-Type"))
	})
}

func TestContacts_ChangeReplacesTheOldContactOnConfirmation(t *testing.T) {
	eachStore(t, func(t *testing.T, ts *testServer) {
		id, tok := ts.confirmedAccount("+79127000011")
		add := ts.do("POST", "/v1/accounts/"+id+"/contacts", tok,
			map[string]string{"channel": "phone", "value": "+79127000012", "replaces": "+79127000011"})
		require.Equal(t, http.StatusAccepted, add.status, string(add.raw))
		// Without ?value= the channel's newest unconfirmed contact is meant.
		ok := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": ts.codeTo("+79127000012")})
		require.Equal(t, http.StatusOK, ok.status, string(ok.raw))
		contacts := ts.cabinetContacts(id, tok, position(ok))
		require.Len(t, contacts, 1)
		assert.Equal(t, "+79127000012", contacts[0]["value"])
		assert.Equal(t, true, contacts[0]["confirmed"])
	})
}

func TestContacts_TakenAcrossAccountsUntilRemoved(t *testing.T) {
	eachStore(t, func(t *testing.T, ts *testServer) {
		a, aTok := ts.confirmedAccount("+79127000021")
		b, bTok := ts.confirmedAccount("+79127000022")
		taken := ts.do("POST", "/v1/accounts/"+b+"/contacts", bTok, map[string]string{"channel": "phone", "value": "+79127000021"})
		assert.Equal(t, http.StatusConflict, taken.status)
		assert.Equal(t, "contact_taken", taken.body["code"])

		// A moves to another number and removes the old one: its claim is released.
		require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+a+"/contacts", aTok,
			map[string]string{"channel": "phone", "value": "+79127000023"}).status)
		require.Equal(t, http.StatusOK, ts.do("POST", "/v1/accounts/"+a+"/contacts/phone/confirm?value=%2B79127000023", aTok,
			map[string]string{"code": ts.codeTo("+79127000023")}).status)
		require.Equal(t, http.StatusOK, ts.do("DELETE", "/v1/accounts/"+a+"/contacts/phone/%2B79127000021", aTok, nil).status)

		again := ts.do("POST", "/v1/accounts/"+b+"/contacts", bTok, map[string]string{"channel": "phone", "value": "+79127000021"})
		require.Equal(t, http.StatusAccepted, again.status, string(again.raw))
		ok := ts.do("POST", "/v1/accounts/"+b+"/contacts/phone/confirm?value=%2B79127000021", bTok,
			map[string]string{"code": ts.codeTo("+79127000021")})
		require.Equal(t, http.StatusOK, ok.status, string(ok.raw))

		// Now A may not take it back, and registration with it is refused.
		back := ts.do("POST", "/v1/accounts/"+a+"/contacts", aTok, map[string]string{"channel": "phone", "value": "+79127000021"})
		assert.Equal(t, "contact_taken", back.body["code"])
		reg := ts.do("POST", "/v1/accounts", "", map[string]any{
			"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": "+79127000021", "consent": consent,
		})
		assert.Equal(t, "contact_taken", reg.body["code"])
	})
}

func TestContacts_RolesAndBadInput(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.confirmedAccount("+79127000031")
	_, otherTok := ts.register("+79127000032")
	op, err := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
	require.NoError(t, err)
	add := "/v1/accounts/" + id + "/contacts"
	del := "/v1/accounts/" + id + "/contacts/phone/%2B79127000031"
	body := map[string]string{"channel": "email", "value": "second@example.org"}

	for name, tk := range map[string]string{"another citizen": otherTok, "an operator": op} {
		assert.Equal(t, http.StatusNotFound, ts.do("POST", add, tk, body).status, name)
		assert.Equal(t, http.StatusNotFound, ts.do("DELETE", del, tk, nil).status, name)
	}
	assert.Equal(t, http.StatusUnauthorized, ts.do("POST", add, "", body).status)
	assert.Equal(t, http.StatusUnauthorized, ts.do("DELETE", del, "", nil).status)
	assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/accounts/not-a-uuid/contacts", tok, body).status)

	for _, c := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"malformed", `{"channel":`, 400, "malformed_json"},
		{"unknown field", `{"channel":"email","value":"a@example.org","role":"admin"}`, 400, "unknown_field"},
		{"unknown channel", map[string]string{"channel": "fax", "value": "1"}, 422, "validation_failed"},
		{"foreign phone", map[string]string{"channel": "phone", "value": "+1 212 555 0100"}, 422, "phone_not_russian_mobile"},
		{"bad email", map[string]string{"channel": "email", "value": "a@@b"}, 422, "email_invalid"},
		{"disposable", map[string]string{"channel": "email", "value": "x@mailinator.com"}, 422, "email_disposable"},
		{"already on the account", map[string]string{"channel": "phone", "value": "+79127000031"}, 409, "contact_exists"},
		{"replaces nothing", map[string]string{"channel": "email", "value": "n@example.org", "replaces": "o@example.org"}, 422, "contact_missing"},
	} {
		a := ts.do("POST", add, tok, c.body)
		assert.Equal(t, c.status, a.status, c.name)
		assert.Equal(t, c.code, a.body["code"], c.name)
		assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"), c.name)
	}
	a := ts.do("DELETE", "/v1/accounts/"+id+"/contacts/fax/1", tok, nil)
	assert.Equal(t, http.StatusNotFound, a.status)
	a = ts.do("DELETE", "/v1/accounts/"+id+"/contacts/email/nobody@example.org", tok, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "contact_missing", a.body["code"])
	a = ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code?value=%2B79990000000", tok, nil)
	assert.Equal(t, "contact_missing", a.body["code"], "a code for a contact the account does not hold")
}
