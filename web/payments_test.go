package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feeAPI stands in for the JSON API: one application awaiting its fee,
// and a payment route that counts its calls.
func feeAPI(payments *atomic.Int32) http.Handler {
	r := chi.NewRouter()
	r.Get("/v1/applications/{app}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"application_id": chi.URLParam(r, "app"), "number": "ПТ-1",
			"status": "awaiting_payment", "status_label": "ожидает оплаты", "fee": map[string]any{"amount": 350000, "currency": "RUB"}})
	})
	r.Post("/v1/applications/{app}/payments", func(w http.ResponseWriter, r *http.Request) {
		payments.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	return r
}

// signedIn is a request carrying a citizen's session cookies.
func signedIn(method, path string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: cookieToken, Value: "t"})
	req.AddCookie(&http.Cookie{Name: cookieAccount, Value: "a"})
	return req
}

func TestPayment_WithoutATestGatewayThePageSendsToThePortalsGateway(t *testing.T) {
	var payments atomic.Int32
	s := New(Config{API: feeAPI(&payments), Transliterate: func(s string) string { return s }})
	r := chi.NewRouter()
	s.Routes(r)
	const path = "/applications/0190f000-0000-7000-8000-000000000001/pay"

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, signedIn(http.MethodGet, path))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "платёжный шлюз портала")
	assert.Contains(t, rec.Body.String(), "ПТ-1")
	assert.NotContains(t, rec.Body.String(), `action="/applications/0190f000-0000-7000-8000-000000000001/pay"`)

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, signedIn(http.MethodPost, path))
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Zero(t, payments.Load(), "no callback without a gateway")
}

func TestPayment_TheTestGatewaySignsTheFullFee(t *testing.T) {
	var payments atomic.Int32
	var signed []byte
	s := New(Config{API: feeAPI(&payments), Transliterate: func(s string) string { return s },
		TestGateway: func(body []byte) string { signed = body; return "sig" }})
	r := chi.NewRouter()
	s.Routes(r)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, signedIn(http.MethodPost, "/applications/0190f000-0000-7000-8000-000000000001/pay"))
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.EqualValues(t, 1, payments.Load())
	var body map[string]any
	require.NoError(t, json.Unmarshal(signed, &body))
	assert.EqualValues(t, 350000, body["amount"])
	assert.Equal(t, "RUB", body["currency"])
	assert.Equal(t, "0190f000-0000-7000-8000-000000000001", body["application_id"])
	assert.True(t, strings.HasPrefix(body["transaction_id"].(string), "test-"))
}
