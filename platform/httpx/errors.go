package httpx

import (
	"errors"
	"net/http"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// StoreRetryAfter is the Retry-After, in seconds, of a store_unavailable answer.
const StoreRetryAfter = 5

// Transport codes: refusals by the HTTP layer itself, not by a domain rule.
const (
	CodeMalformedJSON        = "malformed_json"
	CodeUnknownField         = "unknown_field"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeBodyTooLarge         = "body_too_large"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeMFARequired          = "mfa_required"
	CodeConflict             = "conflict"
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	CodeNotCaughtUp          = "not_caught_up"
	CodeRateLimited          = "rate_limited"
	CodeStoreUnavailable     = "store_unavailable"
	CodeInternal             = "internal"
)

// Error is a refusal by the transport (bad body, unknown route, missing
// token …). Status is fixed by the constructor; Code is the stable machine
// code the client sees.
type Error struct {
	Status int
	Code   string
	Detail string
	Fields []domain.FieldError
	Extra  map[string]any
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Code
	}
	return e.Code + ": " + e.Detail
}

// Is matches transport errors by code: errors.Is(err, httpx.ErrBodyTooLarge).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for the decoding failures; DecodeJSON returns errors that match
// them with errors.Is and carry details.
var (
	ErrMalformedJSON        = &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "the body is not valid JSON for this request"}
	ErrUnknownField         = &Error{Status: http.StatusBadRequest, Code: CodeUnknownField, Detail: "the body has a field this request does not take"}
	ErrUnsupportedMediaType = &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType, Detail: "send the body as application/json"}
	ErrBodyTooLarge         = &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: "the body is too large"}
)

// BadRequest is a 400 with a request-specific code (min_position_invalid …).
func BadRequest(code, detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Detail: detail}
}

// NotFound is a 404 not_found: an unknown route or id, or one the caller may not see.
func NotFound(detail string) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: detail}
}

// MethodNotAllowed is a 405 for a known route with another method.
func MethodNotAllowed() *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed, Detail: "this route does not take that method"}
}

// Unauthorized is a 401: no token, or one that does not verify.
func Unauthorized(detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Detail: detail}
}

// MFARequired is a 401 mfa_required: a staff token that verified but
// shows no second factor.
func MFARequired(detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeMFARequired, Detail: detail}
}

// Forbidden is a 403: the caller's role may not do this.
func Forbidden(detail string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Detail: detail}
}

// Conflict is a 409 with code conflict, idempotency_key_reused or another
// conflict-specific code.
func Conflict(code, detail string) *Error {
	return &Error{Status: http.StatusConflict, Code: code, Detail: detail}
}

// NotCaughtUp is a 503: the read model did not reach X-Kabinet-Min-Position
// in time. The caller sets Retry-After.
func NotCaughtUp(detail string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeNotCaughtUp, Detail: detail}
}

// RateLimited is a 429 telling the client to wait retryAfterSeconds; WriteError
// sets Retry-After from it.
func RateLimited(detail string, retryAfterSeconds int) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Detail: detail,
		Extra: map[string]any{"retry_after": retryAfterSeconds}}
}

// statusForCode is the one table from domain codes to statuses. A domain
// code not listed is a rule refusal: 422.
var statusForCode = map[string]int{
	domain.CodeValidation:              http.StatusUnprocessableEntity,
	domain.CodePhoneInvalid:            http.StatusUnprocessableEntity,
	domain.CodePhoneNotRussianMobile:   http.StatusUnprocessableEntity,
	domain.CodeEmailInvalid:            http.StatusUnprocessableEntity,
	domain.CodeEmailDisposable:         http.StatusUnprocessableEntity,
	domain.CodeCitizenshipInvalid:      http.StatusUnprocessableEntity,
	domain.CodeContactMissing:          http.StatusUnprocessableEntity,
	domain.CodeCodeInvalid:             http.StatusUnprocessableEntity,
	domain.CodeNoCodeRequested:         http.StatusUnprocessableEntity,
	domain.CodeContactAlreadyConfirmed: http.StatusUnprocessableEntity,
	domain.CodeInvalidTransition:       http.StatusUnprocessableEntity,
	domain.CodeContactTaken:            http.StatusConflict,
	domain.CodeContactExists:           http.StatusConflict,
	domain.CodeCodeExpired:             http.StatusGone,
	domain.CodeConfirmationLocked:      http.StatusLocked,
	domain.CodeResendTooSoon:           http.StatusTooManyRequests,
	domain.CodeAccountNotFound:         http.StatusNotFound,
	domain.CodeApplicationNotFound:     http.StatusNotFound,
	domain.CodeApplicationExists:       http.StatusConflict,
	domain.CodeFileType:                http.StatusUnsupportedMediaType,
	domain.CodeFileTooLarge:            http.StatusRequestEntityTooLarge,
	domain.CodeDocumentDuplicate:       http.StatusConflict,
	// The rest of the cabinet (docs/DOMAIN.md §12).
	domain.CodeSlotTaken:                http.StatusConflict,
	domain.CodeSupportRequestNotFound:   http.StatusNotFound,
	domain.CodeAppointmentNotFound:      http.StatusNotFound,
	domain.CodeComplaintNotFound:        http.StatusNotFound,
	domain.CodeFineNotFound:             http.StatusNotFound,
	domain.CodePaymentTransactionReused: http.StatusConflict,
	domain.CodeComplaintSameOperator:    http.StatusForbidden,
	domain.CodeInvalidCredentials:       http.StatusUnauthorized,
	domain.CodeRefreshReused:            http.StatusUnauthorized,
	domain.CodeRefreshInvalid:           http.StatusUnauthorized,
	domain.CodeAccountLocked:            http.StatusLocked,
	domain.CodeTooManyCodes:             http.StatusTooManyRequests,
	domain.CodeChallengeNotFound:        http.StatusNotFound,
	domain.CodeSessionNotFound:          http.StatusNotFound,
	domain.CodeFourEyesRequired:         http.StatusForbidden,
}

// StatusFor is the status WriteError answers err with: the table for domain
// errors, the transport error's own status, 409 for an event-store version
// conflict that outlived the retries, and 500 for anything else. The journal
// uses it (with CodeFor) to record an outcome without writing an answer.
func StatusFor(err error) int {
	status, _ := classify(err)
	return status
}

// CodeFor is the machine code WriteError answers err with ("internal" for
// errors the client must not learn about).
func CodeFor(err error) string {
	_, code := classify(err)
	return code
}

func classify(err error) (int, string) {
	var de *domain.Error
	var te *Error
	switch {
	case err == nil:
		return http.StatusOK, ""
	case errors.As(err, &te):
		return te.Status, te.Code
	case errors.As(err, &de):
		if s, ok := statusForCode[de.Code]; ok {
			return s, de.Code
		}
		return http.StatusUnprocessableEntity, de.Code
	case errors.Is(err, eventstore.ErrConflict):
		return http.StatusConflict, CodeConflict
	case sqldb.IsUnavailable(err):
		return http.StatusServiceUnavailable, CodeStoreUnavailable
	default:
		return http.StatusInternalServerError, CodeInternal
	}
}

// problemFor renders err as the problem the client sees. Internal errors
// become a bare "internal" problem: their text may hold SQL, paths or data.
func problemFor(err error) Problem {
	status, code := classify(err)
	var de *domain.Error
	var te *Error
	switch {
	case errors.As(err, &te):
		p := NewProblem(status, code, te.Detail)
		p.Errors, p.Extra = capFields(te.Fields, te.Extra)
		return p
	case errors.As(err, &de):
		p := NewProblem(status, code, de.Message)
		p.Errors, p.Extra = capFields(de.Fields, de.Details)
		return p
	case status == http.StatusConflict:
		return NewProblem(status, code, "the record changed meanwhile; retry the request")
	case code == CodeStoreUnavailable:
		p := NewProblem(status, code, "the store cannot answer now; nothing was changed unless a later read shows it, retry later")
		p.Extra = map[string]any{"retry_after": StoreRetryAfter}
		return p
	default:
		return NewProblem(status, code, "the server failed to handle the request")
	}
}

// capFields keeps the first MaxFieldErrors field errors; when there were
// more, the extras (copied, never the caller's map) gain errors_total.
func capFields(fields []domain.FieldError, extra map[string]any) ([]domain.FieldError, map[string]any) {
	if len(fields) <= MaxFieldErrors {
		return fields, extra
	}
	out := make(map[string]any, len(extra)+1)
	for k, v := range extra {
		out[k] = v
	}
	out["errors_total"] = len(fields)
	return fields[:MaxFieldErrors], out
}

// retryAfter returns the whole seconds in extra's retry_after, if any.
func retryAfter(extra map[string]any) (int, bool) {
	switch v := extra["retry_after"].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case uint64:
		return int(v), true
	default:
		return 0, false
	}
}
