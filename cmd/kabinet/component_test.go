package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/journal"
)

// testServer is a fully wired Kabinet over a temp data dir, served through
// httptest, with its projections running.
type testServer struct {
	t       *testing.T
	app     *App
	srv     *httptest.Server
	dataDir string
	cancel  context.CancelFunc
	done    chan struct{}
}

func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--data-dir", dir}
	for _, limit := range []string{"rate-limit", "payment-rate-limit", "denied-rate-limit"} {
		if _, ok := env[limit]; !ok { // tests register many accounts, and are denied often, from one IP
			args = append(args, "--"+limit, "0")
		}
	}
	for k, v := range env {
		args = append(args, "--"+k, v)
	}
	c := parseTestConfig(t, args)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, c, io.Discard)
	require.NoError(t, err)
	ts := &testServer{t: t, app: a, dataDir: dir, cancel: cancel, done: make(chan struct{})}
	ts.srv = httptest.NewServer(a.Handler)
	go func() {
		defer close(ts.done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); a.JournalWriter.Run(ctx) }()
		a.Runner.Run(ctx)
		wg.Wait()
	}()
	t.Cleanup(ts.stop)
	return ts
}

// parseTestConfig parses a test server's serve configuration. Outside
// embedded mode (PostgreSQL, production) the service takes its journal key
// only from KABINET_JOURNAL_KEY, so the test gets one, kept for its restarts.
func parseTestConfig(t *testing.T, args []string) Config {
	t.Helper()
	c, _, err := parseConfig("serve", args)
	require.NoError(t, err)
	if !c.Embedded() && c.JournalKey == "" {
		t.Setenv("KABINET_JOURNAL_KEY", testJournalKey(t))
		c, _, err = parseConfig("serve", args)
		require.NoError(t, err)
	}
	return c
}

// testJournalKey is a fresh journal signing key: outside embedded mode the
// service takes its key only from KABINET_JOURNAL_KEY.
func testJournalKey(t *testing.T) string {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	return skey
}

func (ts *testServer) stop() {
	ts.srv.Close()
	ts.cancel()
	<-ts.done
	ts.app.Close()
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (ts *testServer) do(method, path, token string, body any, hdr ...string) answer {
	ts.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		require.NoError(ts.t, err)
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, ts.srv.URL+path, rd)
	require.NoError(ts.t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] != "" { // an empty value sends no header
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, raw, err := contractDo(ts.t, nil, req)
	require.NoError(ts.t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// lastCode reads the newest one-time code for account from the outbox.
func (ts *testServer) lastCode(account string) string {
	ts.t.Helper()
	f, err := os.Open(filepath.Join(ts.dataDir, "outbox.jsonl"))
	require.NoError(ts.t, err)
	defer f.Close()
	code := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n map[string]any
		require.NoError(ts.t, json.Unmarshal(sc.Bytes(), &n))
		if n["account_id"] == account && n["code"] != nil {
			code = n["code"].(string)
		}
	}
	require.NotEmpty(ts.t, code, "no code in outbox for %s", account)
	return code
}

func (ts *testServer) register(phone string) (id, token string) {
	ts.t.Helper()
	a := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": phone, "consent": consent,
	})
	require.Equal(ts.t, http.StatusCreated, a.status, string(a.raw))
	return a.body["account_id"].(string), a.body["token"].(string)
}

// consent is the registration's consent to the current text.
var consent = map[string]any{"personal_data": true, "version": "2026-01"}

func position(a answer) string { return a.header.Get("X-Kabinet-Position") }

func TestFlow_RegisterConfirmPhoneReadCabinet(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+7 (912) 345-67-89")

	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil)
	require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
	code := ts.lastCode(id)

	a = ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": code})
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	pos := position(a)
	require.NotEmpty(t, pos)
	assert.Equal(t, pos, strconv.FormatFloat(a.body["position"].(float64), 'f', 0, 64))

	c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", pos)
	require.Equal(t, http.StatusOK, c.status, string(c.raw))
	assert.Equal(t, "simplified", c.body["level"])
	got, _ := strconv.ParseUint(position(c), 10, 64)
	want, _ := strconv.ParseUint(pos, 10, 64)
	assert.GreaterOrEqual(t, got, want)
	contacts := c.body["contacts"].([]any)
	require.Len(t, contacts, 1)
	assert.Equal(t, "+79123456789", contacts[0].(map[string]any)["value"])
	assert.Equal(t, true, contacts[0].(map[string]any)["confirmed"])
}

func TestFlow_WrongCodesLockThenRefuse(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79123450001")
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	code := ts.lastCode(id)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": wrong})
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "code_invalid", a.body["code"])
	assert.EqualValues(t, 2, a.body["attempts_left"])
	ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": wrong})
	a = ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": wrong})
	assert.Equal(t, http.StatusLocked, a.status, string(a.raw))
	assert.Equal(t, "confirmation_locked", a.body["code"])
	a = ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": code})
	assert.Equal(t, http.StatusLocked, a.status, "the right code no longer works while locked")
}

func TestFlow_ContactTakenOnceConfirmedElsewhere(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79123450002")
	ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil)
	require.Equal(t, http.StatusOK, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok,
		map[string]string{"code": ts.lastCode(id)}).status)
	a := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Петров", "given_names": "Иван", "citizenship": "KZ", "phone": "89123450002", "consent": consent,
	})
	assert.Equal(t, http.StatusConflict, a.status, string(a.raw))
	assert.Equal(t, "contact_taken", a.body["code"])
}

func TestFlow_IdempotencyKeyReplaysFirstAnswer(t *testing.T) {
	ts := startServer(t, nil)
	body := map[string]any{"surname": "Ли", "given_names": "Вэй", "citizenship": "CN", "email": "wei.li@example.com", "consent": consent}
	first := ts.do("POST", "/v1/accounts", "", body, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusCreated, first.status, string(first.raw))
	again := ts.do("POST", "/v1/accounts", "", body, "Idempotency-Key", "k-1")
	require.Equal(t, http.StatusCreated, again.status)
	assert.Equal(t, first.body["account_id"], again.body["account_id"])
	head, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, head, "the repeat wrote nothing (AccountRegistered and ConsentGiven are the first's)")
	body["surname"] = "Ван"
	other := ts.do("POST", "/v1/accounts", "", body, "Idempotency-Key", "k-1")
	assert.Equal(t, http.StatusConflict, other.status)
}

func TestBadInput_AnswersProblemAndWritesNothing(t *testing.T) {
	ts := startServer(t, nil)
	valid := `{"surname":"Иванов","given_names":"Пётр","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"UZ","phone":"+79123450003"}`
	cases := []struct {
		name   string
		body   []byte
		ctype  string
		status int
		code   string
		field  string
	}{
		{"malformed JSON", []byte(`{"surname":`), "application/json", 400, "malformed_json", ""},
		{"unknown field", []byte(`{"surname":"A","given_names":"B","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"UZ","phone":"+79123450003","role":"admin"}`), "application/json", 400, "unknown_field", "role"},
		{"wrong content type", []byte(valid), "text/plain", 415, "unsupported_media_type", ""},
		{"body over 1 MiB", []byte(`{"surname":"` + strings.Repeat("a", 1<<20) + `"}`), "application/json", 413, "body_too_large", ""},
		{"invalid phone", []byte(`{"surname":"Иванов","given_names":"Пётр","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"UZ","phone":"+1 212 555 0100"}`), "application/json", 422, "phone_not_russian_mobile", "phone"},
		{"garbage phone", []byte(`{"surname":"Иванов","given_names":"Пётр","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"UZ","phone":"call me"}`), "application/json", 422, "phone_invalid", "phone"},
		{"invalid email", []byte(`{"surname":"Иванов","given_names":"Пётр","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"UZ","email":"a@@b"}`), "application/json", 422, "email_invalid", "email"},
		{"disposable email", []byte(`{"surname":"Иванов","given_names":"Пётр","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"UZ","email":"x@mailinator.com"}`), "application/json", 422, "email_disposable", "email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.srv.URL+"/v1/accounts", bytes.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			resp, raw, err := contractDo(t, nil, req)
			require.NoError(t, err)
			assert.Equal(t, c.status, resp.StatusCode)
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			var p map[string]any
			require.NoError(t, json.Unmarshal(raw, &p))
			assert.Equal(t, c.code, p["code"])
			if c.field != "" {
				errs, _ := p["errors"].([]any)
				require.NotEmpty(t, errs, "field errors")
				assert.Equal(t, c.field, errs[0].(map[string]any)["field"])
			}
		})
	}
	head, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)
	assert.Zero(t, head, "bad input wrote nothing")
}

func TestAuth_DenyByDefault(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79123450004")
	other, otherTok := ts.register("+79123450005")
	_ = other
	opTok, err := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
	require.NoError(t, err)
	past := &auth.Issuer{Secret: ts.app.Issuer.Secret, Clock: func() time.Time { return time.Now().Add(-2 * time.Hour) }}
	expired, err := past.Mint(principal(id, "citizen", id), time.Hour)
	require.NoError(t, err)
	wrongKey := signWith(t, []byte(strings.Repeat("x", 32)), id)
	none := algNone(id)

	path := "/v1/accounts/" + id + "/cabinet"
	assert.Equal(t, 401, ts.do("GET", path, "", nil).status, "no token")
	assert.Equal(t, 401, ts.do("GET", path, expired, nil).status, "expired")
	assert.Equal(t, 401, ts.do("GET", path, wrongKey, nil).status, "wrongly signed")
	assert.Equal(t, 401, ts.do("GET", path, none, nil).status, "alg none")
	assert.Equal(t, 404, ts.do("GET", path, otherTok, nil).status, "other citizen's account")
	assert.Equal(t, 404, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", otherTok, nil).status)
	require.Eventually(t, func() bool { return ts.do("GET", path, tok, nil).status == 200 }, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, 200, ts.do("GET", path, opTok, nil).status, "operator reads any cabinet")
	assert.Equal(t, 404, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", opTok, nil).status, "operators do not confirm contacts")
}

func TestReadYourWrites_MinPositionWaitsThen503(t *testing.T) {
	// Long enough for a loaded machine to project the registration, short
	// enough to see the 503.
	ts := startServer(t, map[string]string{"min-position-wait": "1s"})
	id, tok := ts.register("+79123450006")
	a := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", "1")
	assert.Equal(t, 200, a.status, "waits for position 1")
	a = ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", "999")
	assert.Equal(t, 503, a.status)
	assert.NotEmpty(t, a.header.Get("Retry-After"))
	assert.Equal(t, "not_caught_up", a.body["code"])
}

func TestRateLimit_RegistrationAndCodesPerIP(t *testing.T) {
	ts := startServer(t, map[string]string{"rate-limit": "6"}) // bursts of 5
	var last answer
	for i := 0; i < 6; i++ {
		last = ts.do("POST", "/v1/accounts", "", map[string]any{
			"surname": "Ли", "given_names": "Анна", "citizenship": "CN", "email": fmt.Sprintf("anna%d@example.com", i), "consent": consent,
		})
	}
	assert.Equal(t, http.StatusTooManyRequests, last.status, string(last.raw))
	assert.Equal(t, "rate_limited", last.body["code"])
	assert.NotEmpty(t, last.header.Get("Retry-After"))
	assert.Equal(t, http.StatusOK, ts.do("GET", "/healthz", "", nil).status, "other routes are not throttled")
}
