package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/observability"
)

func TestStatusFor_DomainCodes(t *testing.T) {
	for code, want := range map[string]int{
		domain.CodeValidation:              422,
		domain.CodePhoneInvalid:            422,
		domain.CodePhoneNotRussianMobile:   422,
		domain.CodeEmailInvalid:            422,
		domain.CodeEmailDisposable:         422,
		domain.CodeCitizenshipInvalid:      422,
		domain.CodeContactMissing:          422,
		domain.CodeCodeInvalid:             422,
		domain.CodeNoCodeRequested:         422,
		domain.CodeContactAlreadyConfirmed: 422,
		domain.CodeInvalidTransition:       422,
		domain.CodeSnilsChecksum:           422, // not in the table: a rule refusal
		"some_future_rule":                 422,
		domain.CodeContactTaken:            409,
		domain.CodeCodeExpired:             410,
		domain.CodeConfirmationLocked:      423,
		domain.CodeResendTooSoon:           429,
		domain.CodeAccountNotFound:         404,
		domain.CodeApplicationNotFound:     404,
		domain.CodeApplicationExists:       409,
		domain.CodeDocumentsMissing:        422,
	} {
		t.Run(code, func(t *testing.T) {
			err := fmt.Errorf("confirm contact: %w", domain.NewError(code, "refused"))
			assert.Equal(t, want, httpx.StatusFor(err))
			assert.Equal(t, code, httpx.CodeFor(err))

			rec := httptest.NewRecorder()
			httpx.WriteError(rec, httptest.NewRequest(http.MethodPost, "/", nil), err)
			assert.Equal(t, want, rec.Code)
			p := decodeProblem(t, rec)
			assert.Equal(t, code, p["code"])
			assert.EqualValues(t, want, p["status"])
		})
	}
}

func TestStatusFor_TransportAndOtherErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		code string
		want int
	}{
		"malformed":                            {httpx.ErrMalformedJSON, "malformed_json", 400},
		"unknown field":                        {httpx.ErrUnknownField, "unknown_field", 400},
		"media type":                           {httpx.ErrUnsupportedMediaType, "unsupported_media_type", 415},
		"too large":                            {fmt.Errorf("read: %w", httpx.ErrBodyTooLarge), "body_too_large", 413},
		"bad request":                          {httpx.BadRequest("min_position_invalid", "x"), "min_position_invalid", 400},
		"not found":                            {httpx.NotFound("no such route"), "not_found", 404},
		"method":                               {httpx.MethodNotAllowed(), "method_not_allowed", 405},
		"unauthorized":                         {httpx.Unauthorized("no token"), "unauthorized", 401},
		"forbidden":                            {httpx.Forbidden("role"), "forbidden", 403},
		"conflict":                             {httpx.Conflict(httpx.CodeConflict, "x"), "conflict", 409},
		"idempotency":                          {httpx.Conflict(httpx.CodeIdempotencyKeyReused, "x"), "idempotency_key_reused", 409},
		"not caught up":                        {httpx.NotCaughtUp("behind"), "not_caught_up", 503},
		"rate limited":                         {httpx.RateLimited("slow down", 5), "rate_limited", 429},
		"store conflict":                       {fmt.Errorf("append: %w", &eventstore.ConflictError{Stream: "account-1"}), "conflict", 409},
		"anything else":                        {errors.New("pq: relation does not exist"), "internal", 500},
		"request deadline passed in the store": {fmt.Errorf("append: %w", context.DeadlineExceeded), "store_unavailable", 503},
		"store refused the connection":         {fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "store_unavailable", 503},
		"store connection cut":                 {fmt.Errorf("query: %w", &net.OpError{Op: "read", Err: syscall.ECONNRESET}), "store_unavailable", 503},
		"postgres shutting down":               {&pgconn.PgError{Code: "57P01"}, "store_unavailable", 503},
		"postgres disk full":                   {&pgconn.PgError{Code: "53100"}, "store_unavailable", 503},
		"postgres refusal of the query":        {&pgconn.PgError{Code: "23505"}, "internal", 500},
		"file system full":                     {fmt.Errorf("write wal: %w", syscall.ENOSPC), "store_unavailable", 503},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, httpx.StatusFor(tc.err))
			assert.Equal(t, tc.code, httpx.CodeFor(tc.err))
		})
	}
	assert.Equal(t, http.StatusOK, httpx.StatusFor(nil))
}

func TestWriteError_ProblemJSONWithDetailsAtTopLevel(t *testing.T) {
	err := domain.NewError(domain.CodeCodeInvalid, "wrong code; 2 attempts left").WithDetail("attempts_left", 2)
	rec := httptest.NewRecorder()

	httpx.WriteError(rec, httptest.NewRequest(http.MethodPost, "/", nil), err)

	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	p := decodeProblem(t, rec)
	assert.Equal(t, map[string]any{
		"type": "about:blank", "title": "Unprocessable Entity", "status": float64(422),
		"detail": "wrong code; 2 attempts left", "code": "code_invalid", "attempts_left": float64(2),
	}, p)
}

func TestWriteError_FieldErrorsBecomeErrorsArray(t *testing.T) {
	err := domain.ValidationError([]domain.FieldError{{Field: "surname", Code: "required", Message: "surname is required"}})
	rec := httptest.NewRecorder()

	httpx.WriteError(rec, httptest.NewRequest(http.MethodPost, "/", nil), err)

	p := decodeProblem(t, rec)
	assert.Equal(t, "validation_failed", p["code"])
	assert.Equal(t, []any{map[string]any{"field": "surname", "code": "required", "message": "surname is required"}}, p["errors"])
}

func TestWriteError_DetailsCannotShadowStandardMembers(t *testing.T) {
	err := domain.NewError(domain.CodeInvalidTransition, "no").
		WithDetail("status", "approved").WithDetail("code", "x").WithDetail("from", "draft").WithDetail("to", "approved")
	rec := httptest.NewRecorder()

	httpx.WriteError(rec, httptest.NewRequest(http.MethodPost, "/", nil), err)

	p := decodeProblem(t, rec)
	assert.EqualValues(t, 422, p["status"])
	assert.Equal(t, "invalid_transition", p["code"])
	assert.Equal(t, "draft", p["from"])
	assert.Equal(t, "approved", p["to"])
}

func TestWriteError_ResendTooSoonSetsRetryAfter(t *testing.T) {
	err := domain.NewError(domain.CodeResendTooSoon, "wait").WithDetail("retry_after", 42)
	rec := httptest.NewRecorder()

	httpx.WriteError(rec, httptest.NewRequest(http.MethodPost, "/", nil), err)

	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "42", rec.Header().Get("Retry-After"))
	assert.EqualValues(t, 42, decodeProblem(t, rec)["retry_after"])
}

func TestWriteError_RetryAfterSetByCallerIsKept(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Retry-After", "1")

	httpx.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), httpx.RateLimited("x", 30))

	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
}

func TestWriteError_InternalErrorLeaksNothingAndIsLoggedWithCorrelationID(t *testing.T) {
	var logs bytes.Buffer
	logger := observability.NewLogger(&logs, slog.LevelInfo, true)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	ctx := observability.WithLogger(observability.WithCorrelationID(req.Context(), "corr-500"), logger)
	req = req.WithContext(ctx)
	rec := httptest.NewRecorder()

	httpx.WriteError(rec, req, fmt.Errorf("load cabinet: %w", errors.New("sql: SELECT secret FROM accounts")))

	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "SELECT")
	assert.NotContains(t, rec.Body.String(), "load cabinet")
	assert.Equal(t, "internal", decodeProblem(t, rec)["code"])

	var line map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &line))
	assert.Equal(t, "ERROR", line["level"])
	assert.Equal(t, "corr-500", line["correlation_id"])
	assert.Contains(t, line["err"], "SELECT secret")
}

func TestWriteError_RefusalsAreNotLogged(t *testing.T) {
	var logs bytes.Buffer
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req = req.WithContext(observability.WithLogger(req.Context(), observability.NewLogger(&logs, slog.LevelDebug, true)))

	httpx.WriteError(httptest.NewRecorder(), req, domain.NewError(domain.CodeCodeExpired, "expired"))

	assert.Empty(t, logs.String())
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()

	httpx.WriteJSON(rec, http.StatusCreated, map[string]any{"account_id": "a", "position": 7})

	assert.Equal(t, http.StatusCreated, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"account_id":"a","position":7}`, rec.Body.String())
}

func TestWriteEncodedJSON_SendsTheBytesWithTheirLength(t *testing.T) {
	rec := httptest.NewRecorder()
	body := []byte(`{"items":[]}` + "\n")

	httpx.WriteEncodedJSON(rec, body)

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, "13", rec.Header().Get("Content-Length"))
	assert.Equal(t, body, rec.Body.Bytes())
}

func TestWriteJSON_UnencodableValueIs500(t *testing.T) {
	rec := httptest.NewRecorder()

	httpx.WriteJSON(rec, http.StatusOK, map[string]any{"f": func() {}})

	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "internal", decodeProblem(t, rec)["code"])
}

func TestRecoverer_PanicBecomes500Problem(t *testing.T) {
	var logs bytes.Buffer
	h := httpx.Recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req = req.WithContext(observability.WithLogger(req.Context(), observability.NewLogger(&logs, slog.LevelInfo, true)))
	rec := httptest.NewRecorder()

	h.ServeHTTP(rec, req)

	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "internal", decodeProblem(t, rec)["code"])
	assert.NotContains(t, rec.Body.String(), "boom")
	assert.Contains(t, logs.String(), "boom")
}

func TestRecoverer_ReRaisesErrAbortHandler(t *testing.T) {
	h := httpx.Recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))

	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
}

func TestClientIP_DropsThePort(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "[2001:db8::1]:443"
	assert.Equal(t, "2001:db8::1", httpx.ClientIP(req))
	req.RemoteAddr = "203.0.113.9:5000"
	assert.Equal(t, "203.0.113.9", httpx.ClientIP(req))
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	var p map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	return p
}
