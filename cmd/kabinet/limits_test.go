package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// registerFrom registers an account through a proxy that says the client is xff.
func (ts *testServer) registerFrom(xff string, n int) answer {
	ts.t.Helper()
	return ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Ли", "given_names": "Анна", "citizenship": "CN", "email": fmt.Sprintf("anna%d@example.com", n), "consent": consent,
	}, "X-Forwarded-For", xff)
}

func TestTrustedProxies_TheirXForwardedForIsTheClientForLimitsAndMetadata(t *testing.T) {
	ts := startServer(t, map[string]string{"rate-limit": "6", "trusted-proxies": "127.0.0.0/8"}) // bursts of 5
	for i := range 5 {
		require.Equal(t, http.StatusCreated, ts.registerFrom("198.51.100.1", i).status)
	}
	assert.Equal(t, http.StatusTooManyRequests, ts.registerFrom("198.51.100.1", 5).status)
	other := ts.registerFrom("198.51.100.2", 6)
	require.Equal(t, http.StatusCreated, other.status, "another client behind the same proxy has its own budget")

	aud, err := ts.app.Issuer.Mint(principal("aud-1", "auditor", ""), time.Hour)
	require.NoError(t, err)
	h := ts.do("GET", "/v1/accounts/"+other.body["account_id"].(string)+"/history", aud, nil)
	require.Equal(t, http.StatusOK, h.status, string(h.raw))
	md := h.body["items"].([]any)[0].(map[string]any)["metadata"].(map[string]any)
	assert.Equal(t, "198.51.100.2", md["source_ip"])
}

func TestTrustedProxies_AnUntrustedPeersXForwardedForIsIgnored(t *testing.T) {
	ts := startServer(t, map[string]string{"rate-limit": "6"})
	for i := range 5 {
		require.Equal(t, http.StatusCreated, ts.registerFrom(fmt.Sprintf("198.51.100.%d", i+1), i).status)
	}
	assert.Equal(t, http.StatusTooManyRequests, ts.registerFrom("198.51.100.99", 5).status,
		"a forged header does not buy a new budget")
}

func TestRateLimit_DeniedRequestsBeyondTheBudgetAre429(t *testing.T) {
	ts := startServer(t, map[string]string{"denied-rate-limit": "6"}) // bursts of 5
	id, tok := ts.register("+79128880001")
	for range 5 {
		assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/cabinet", "bad.token.here", nil).status)
	}
	a := ts.do("GET", "/v1/accounts/"+id+"/cabinet", "bad.token.here", nil)
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "rate_limited", a.body["code"])
	assert.NotEmpty(t, a.header.Get("Retry-After"))
	// Position 2 is the registration's ConsentGiven: the read waits for it.
	assert.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", "2").status,
		"allowed requests are not throttled by the denial budget")
	other := ts.do("GET", "/v1/accounts/00000000-0000-7000-8000-000000000000/cabinet", tok, nil)
	assert.Equal(t, http.StatusTooManyRequests, other.status, "a 404 for another's account is a denial too")
}

func TestRateLimit_PaymentCallbacksPerIP(t *testing.T) {
	ts := startServer(t, map[string]string{"payment-rate-limit": "6"})
	path := "/v1/applications/00000000-0000-7000-8000-000000000000/payments"
	for range 5 {
		assert.Equal(t, http.StatusUnauthorized, ts.do("POST", path, "", `{}`).status)
	}
	a := ts.do("POST", path, "", `{}`)
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "rate_limited", a.body["code"])
}

// TestPayments_SignatureIsCheckedBeforeTheIdempotencyLayer: an unsigned
// callback neither is buffered beyond the callback's bound nor leaves an
// idempotency record, so it cannot poison the gateway's key.
func TestPayments_SignatureIsCheckedBeforeTheIdempotencyLayer(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79128880002")
	sub := ts.submit(p, domain.ServicePatent)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	fee := int64(sub.body["fee"].(map[string]any)["amount"].(float64))
	path := "/v1/applications/" + app + "/payments"
	body := []byte(fmt.Sprintf(`{"amount":%d,"currency":"RUB","transaction_id":"gw-77"}`, fee))

	forged := ts.do("POST", path, "", []byte(`{"amount":1,"currency":"RUB","transaction_id":"gw-77"}`),
		"Idempotency-Key", "k-1", commands.PaymentSignatureHeader, "sha256=00")
	require.Equal(t, http.StatusUnauthorized, forged.status)
	big := ts.do("POST", path, "", []byte(`{"pad":"`+strings.Repeat("x", 1<<20)+`"}`), "Idempotency-Key", "k-2")
	assert.Equal(t, http.StatusRequestEntityTooLarge, big.status, "an unsigned megabyte is refused at the callback's bound")
	var n int
	require.NoError(t, ts.app.Read.QueryRowContext(context.Background(), `SELECT count(*) FROM idempotency_keys`).Scan(&n))
	assert.Zero(t, n, "nothing unsigned reached the idempotency layer")

	paid := ts.do("POST", path, "", body, "Idempotency-Key", "k-1", commands.PaymentSignatureHeader, ts.gateway().Sign(body))
	require.Equal(t, http.StatusOK, paid.status, "the forged attempt did not take the key: %s", paid.raw)
}

// TestRateLimit_SharedByInstancesOnPostgreSQL runs two instances on one
// PostgreSQL: the registration budget of a client is spent across both.
func TestRateLimit_SharedByInstancesOnPostgreSQL(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	env := map[string]string{"eventstore": dsn, "readstore": dsn, "rate-limit": "6"}
	a, b := startServer(t, env), startServer(t, env)
	for i := range 5 {
		ts := []*testServer{a, b}[i%2]
		require.Equal(t, http.StatusCreated, ts.registerFrom("", i).status, "registration %d", i)
	}
	assert.Equal(t, http.StatusTooManyRequests, a.registerFrom("", 5).status)
	assert.Equal(t, http.StatusTooManyRequests, b.registerFrom("", 6).status)
}

// TestRateLimit_FinePaymentCallbacksShareThePaymentBudget: the fines'
// callback is a payment route like the fee's, under the same per-IP limit.
func TestRateLimit_FinePaymentCallbacksShareThePaymentBudget(t *testing.T) {
	ts := startServer(t, map[string]string{"payment-rate-limit": "6"})
	fine := "/v1/accounts/00000000-0000-7000-8000-000000000000/fines/18810177230000000011/payments"
	fee := "/v1/applications/00000000-0000-7000-8000-000000000000/payments"
	for i := range 5 {
		path := fine
		if i%2 == 1 {
			path = fee
		}
		assert.Equal(t, http.StatusUnauthorized, ts.do("POST", path, "", `{}`).status)
	}
	a := ts.do("POST", fine, "", `{}`)
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "rate_limited", a.body["code"])
}

// TestPayments_FineSignatureIsCheckedBeforeTheIdempotencyLayer: as for
// the fee, an unsigned fine callback is bounded and leaves no record.
func TestPayments_FineSignatureIsCheckedBeforeTheIdempotencyLayer(t *testing.T) {
	ts := startServer(t, nil)
	path := "/v1/accounts/00000000-0000-7000-8000-000000000000/fines/18810177230000000011/payments"
	forged := ts.do("POST", path, "", []byte(`{"amount":1,"currency":"RUB","transaction_id":"gw-f"}`),
		"Idempotency-Key", "f-1", commands.PaymentSignatureHeader, "sha256=00")
	require.Equal(t, http.StatusUnauthorized, forged.status)
	big := ts.do("POST", path, "", []byte(`{"pad":"`+strings.Repeat("x", 1<<20)+`"}`), "Idempotency-Key", "f-2")
	assert.Equal(t, http.StatusRequestEntityTooLarge, big.status, "an unsigned megabyte is refused at the callback's bound")
	var n int
	require.NoError(t, ts.app.Read.QueryRowContext(context.Background(), `SELECT count(*) FROM idempotency_keys`).Scan(&n))
	assert.Zero(t, n, "nothing unsigned reached the idempotency layer")
}
