package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
)

func TestPayments_SignedCallbackIsCheckedAndIdempotent(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79160000011")
	sub := ts.submit(p, domain.ServicePatent)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	fee := int64(sub.body["fee"].(map[string]any)["amount"].(float64))
	path := "/v1/applications/" + app + "/payments"
	body := []byte(fmt.Sprintf(`{"amount":%d,"currency":"RUB","transaction_id":"gw-42"}`, fee))
	other, err := commands.NewPaymentGateway([]byte(strings.Repeat("o", 32)))
	require.NoError(t, err)

	t.Run("unsigned, wrongly signed or altered is 401", func(t *testing.T) {
		tampered := bytes.Replace(body, []byte("gw-42"), []byte("gw-43"), 1)
		for name, a := range map[string]answer{
			"no signature":      ts.do("POST", path, "", body),
			"another secret":    ts.do("POST", path, "", body, commands.PaymentSignatureHeader, other.Sign(body)),
			"altered body":      ts.do("POST", path, "", tampered, commands.PaymentSignatureHeader, ts.gateway().Sign(body)),
			"garbage signature": ts.do("POST", path, "", body, commands.PaymentSignatureHeader, "sha256=00"),
		} {
			assert.Equal(t, http.StatusUnauthorized, a.status, name)
			assert.Equal(t, "unauthorized", a.body["code"], name)
		}
	})
	t.Run("a wrong amount is 422 and changes nothing", func(t *testing.T) {
		a := ts.pay(app, float64(fee-100), "gw-41")
		assert.Equal(t, http.StatusUnprocessableEntity, a.status, string(a.raw))
		assert.Equal(t, "payment_amount_mismatch", a.body["code"])
		assert.EqualValues(t, fee, a.body["expected_amount"])
		assert.Regexp(t, `^[0-9 ]+ руб\. [0-9]{2} коп\.$`, a.body["expected"], "the answer states roubles and kopecks")
		assert.Regexp(t, `руб\. [0-9]{2} коп\.`, a.body["detail"])
		assert.Equal(t, domain.StatusAwaitingPayment, ts.appState(p.id, app).Status)
	})
	first := ts.do("POST", path, "", body, commands.PaymentSignatureHeader, ts.gateway().Sign(body))
	require.Equal(t, http.StatusOK, first.status, string(first.raw))
	assert.Equal(t, "accepted", first.body["status"])
	assert.Equal(t, "gw-42", first.body["transaction_id"])
	assert.EqualValues(t, fee, first.body["amount"])
	assert.NotEmpty(t, position(first))
	s := ts.appState(p.id, app)
	assert.Equal(t, domain.StatusAccepted, s.Status)
	assert.False(t, s.Deadline.IsZero(), "the payment starts the deadline")

	t.Run("a redelivery answers the same and writes nothing", func(t *testing.T) {
		head, err := ts.app.Store.Head(context.Background())
		require.NoError(t, err)
		again := ts.do("POST", path, "", body, commands.PaymentSignatureHeader, ts.gateway().Sign(body))
		require.Equal(t, http.StatusOK, again.status, string(again.raw))
		assert.JSONEq(t, string(first.raw), string(again.raw))
		assert.Equal(t, position(first), position(again))
		after, err := ts.app.Store.Head(context.Background())
		require.NoError(t, err)
		assert.Equal(t, head, after)
		assert.Len(t, ts.appState(p.id, app).Payments, 1)
	})
	t.Run("the same transaction cannot pay another application", func(t *testing.T) {
		sub2 := ts.submit(p, domain.ServiceWorkPermit)
		require.Equal(t, http.StatusCreated, sub2.status, string(sub2.raw))
		app2 := sub2.body["application_id"].(string)
		a := ts.do("POST", "/v1/applications/"+app2+"/payments", "", body, commands.PaymentSignatureHeader, ts.gateway().Sign(body))
		assert.Equal(t, http.StatusConflict, a.status, string(a.raw))
		assert.Equal(t, "payment_transaction_reused", a.body["code"])
		assert.Equal(t, domain.StatusAwaitingPayment, ts.appState(p.id, app2).Status)
	})
	t.Run("a signed application id must be the path's", func(t *testing.T) {
		b := []byte(fmt.Sprintf(`{"amount":%d,"currency":"RUB","transaction_id":"gw-44","application_id":"%s"}`, fee, uuid.New()))
		a := ts.do("POST", path, "", b, commands.PaymentSignatureHeader, ts.gateway().Sign(b))
		assert.Equal(t, http.StatusUnprocessableEntity, a.status, string(a.raw))
	})
	t.Run("an application without a fee cannot be paid", func(t *testing.T) {
		free := ts.submit(p, domain.ServiceCertificate)
		require.Equal(t, http.StatusCreated, free.status)
		a := ts.pay(free.body["application_id"].(string), 100, "gw-45")
		assert.Equal(t, http.StatusUnprocessableEntity, a.status, string(a.raw))
		assert.Equal(t, "invalid_transition", a.body["code"])
	})
}

func TestApplications_OnlyTheOwnerAndOperatorsSeeThem(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.simplifiedApplicant("+79160000021")
	_, strangerTok := ts.simplifiedApplicant("+79160000022")
	op := ts.operatorToken()
	sub := ts.submit(applicant{id: id, token: tok}, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	head, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)

	cases := []struct {
		name, path, token string
		status            int
	}{
		{"no token", "/v1/applications/" + app + "/withdraw", "", 401},
		{"another citizen withdraws", "/v1/applications/" + app + "/withdraw", strangerTok, 404},
		{"another citizen clarifies", "/v1/applications/" + app + "/clarify", strangerTok, 404},
		{"another citizen submits on the account", "/v1/accounts/" + id + "/applications", strangerTok, 404},
		{"the owner accepts her own", "/v1/applications/" + app + "/accept", tok, 404},
		{"the owner approves her own", "/v1/applications/" + app + "/approve", tok, 404},
		{"an operator withdraws", "/v1/applications/" + app + "/withdraw", op, 404},
		{"an operator submits", "/v1/accounts/" + id + "/applications", op, 404},
		{"an unknown application", "/v1/applications/" + uuid.NewString() + "/accept", op, 404},
		{"an unknown application of a citizen", "/v1/applications/" + uuid.NewString() + "/withdraw", tok, 404},
		{"a malformed id", "/v1/applications/not-an-id/accept", op, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := ts.do("POST", c.path, c.token, map[string]any{})
			assert.Equal(t, c.status, a.status, string(a.raw))
		})
	}
	after, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)
	assert.Equal(t, head, after, "no denied request wrote anything")
}

func TestApplications_FiftyConcurrentSubmissionsGetDistinctNumbers(t *testing.T) {
	ts := startServer(t, nil)
	const n = 50
	type acct struct{ id, tok string }
	accts := make([]acct, n)
	for i := range accts {
		accts[i].id, accts[i].tok = ts.simplifiedApplicant(fmt.Sprintf("+7917%07d", i))
	}
	numbers := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, a := range accts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body, _ := json.Marshal(map[string]any{"service": "certificate", "form": validForm("certificate")})
			req, _ := http.NewRequest("POST", ts.srv.URL+"/v1/accounts/"+a.id+"/applications", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.tok)
			resp, raw, err := contractDo(t, nil, req)
			if !assert.NoError(t, err) {
				return
			}
			if !assert.Equal(t, http.StatusCreated, resp.StatusCode, string(raw)) {
				return
			}
			var out map[string]any
			assert.NoError(t, json.Unmarshal(raw, &out))
			numbers[i], _ = out["number"].(string)
		}()
	}
	close(start)
	wg.Wait()
	seen := map[string]bool{}
	for _, num := range numbers {
		assert.Regexp(t, `^\d{4}-\d{6}$`, num)
		assert.False(t, seen[num], "duplicate number %s", num)
		seen[num] = true
	}
	assert.Len(t, seen, n)
}

func TestApplications_ClarificationTimesOutThroughTheScheduler(t *testing.T) {
	dir := t.TempDir()
	ts := startServerIn(t, dir)
	id, tok := ts.simplifiedApplicant("+79160000031")
	p := applicant{id: id, token: tok}
	op := ts.operatorToken()
	now := time.Now().UTC()
	tomorrow := domain.MoscowDate(now).AddDays(1)
	var apps []string
	for range 2 {
		sub := ts.submit(p, domain.ServiceCertificate)
		require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
		app := sub.body["application_id"].(string)
		ts.act(app, "accept", op, nil, 200)
		ts.act(app, "start-review", op, nil, 200)
		ts.act(app, "request-clarification", op, map[string]any{"comment": "приложите паспорт", "due": tomorrow.String()}, 200)
		apps = append(apps, app)
	}
	ts.act(apps[1], "clarify", tok, map[string]any{"comment": "цель — банк"}, 200)

	// A pass of the scheduler, as the worker's ticker makes, at a moved clock.
	pass := func(ts *testServer, at time.Time) uint64 {
		require.NoError(t, ts.app.Scheduler.RunAt(context.Background(), at))
		head, err := ts.app.Store.Head(context.Background())
		require.NoError(t, err)
		return head
	}
	before := pass(ts, now)
	assert.Equal(t, domain.StatusClarificationRequested, ts.appState(id, apps[0]).Status, "the due day is not over")
	ts.stop()

	// A restart on the same data dir, three days later: the job's index and
	// checkpoint are durable.
	ts = startServerIn(t, dir)
	later := now.Add(72 * time.Hour)
	head := pass(ts, later)
	assert.Equal(t, before+1, head, "one rejection written")
	s := ts.appState(id, apps[0])
	assert.Equal(t, domain.StatusRejected, s.Status)
	last := s.History[len(s.History)-1]
	assert.Equal(t, []string{"clarification_timeout"}, last.Reasons)
	assert.Equal(t, "system", last.ByRole)
	assert.Equal(t, domain.StatusInReview, ts.appState(id, apps[1]).Status, "an answered clarification never times out")
	assert.Equal(t, head, pass(ts, later), "nothing is rejected twice")
	assert.Equal(t, head, pass(ts, later.Add(48*time.Hour)))
}

// startServerIn is startServer over a given data dir, so a test can stop
// a server and start another on the same stores (a restart).
func startServerIn(t *testing.T, dir string) *testServer {
	t.Helper()
	c, _, err := parseConfig("serve", []string{"--data-dir", dir,
		"--rate-limit", "0", "--payment-rate-limit", "0", "--denied-rate-limit", "0"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, c, io.Discard)
	require.NoError(t, err)
	ts := &testServer{t: t, app: a, dataDir: dir, cancel: cancel, done: make(chan struct{})}
	ts.srv = httptest.NewServer(a.Handler)
	go func() {
		defer close(ts.done)
		a.Runner.Run(ctx)
	}()
	t.Cleanup(ts.stop)
	return ts
}
