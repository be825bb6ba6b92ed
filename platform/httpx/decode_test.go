package httpx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/httpx"
)

type address struct {
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
}

type registration struct {
	Surname   string    `json:"surname"`
	Age       int       `json:"age"`
	Address   address   `json:"address_ru"`
	AccountID uuid.UUID `json:"account_id"`
	At        time.Time `json:"at"`
}

func decode(t *testing.T, contentType, body string) (registration, *httptest.ResponseRecorder, error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/accounts", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	var dst registration
	rec := httptest.NewRecorder()
	err := httpx.DecodeJSON(rec, req, &dst)
	if err != nil {
		httpx.WriteError(rec, req, err)
	}
	return dst, rec, err
}

func TestDecodeJSON_AcceptsJSONWithOrWithoutCharset(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8"} {
		t.Run(ct, func(t *testing.T) {
			got, _, err := decode(t, ct, ` {"surname":"Каримов","address_ru":{"city":"Москва"}} `+"\n")
			require.NoError(t, err)
			assert.Equal(t, "Каримов", got.Surname)
			assert.Equal(t, "Москва", got.Address.City)
		})
	}
}

func TestDecodeJSON_WrongContentTypeIs415(t *testing.T) {
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/json; foo=bar", "application/jsonx", ";;"} {
		t.Run(ct, func(t *testing.T) {
			_, rec, err := decode(t, ct, `{"surname":"A"}`)
			require.ErrorIs(t, err, httpx.ErrUnsupportedMediaType)
			assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
			assert.Equal(t, "unsupported_media_type", decodeProblem(t, rec)["code"])
		})
	}
}

func TestDecodeJSON_BodyOver1MiBIs413(t *testing.T) {
	body := `{"surname":"` + strings.Repeat("a", httpx.MaxBodyBytes) + `"}`

	_, rec, err := decode(t, "application/json", body)

	require.ErrorIs(t, err, httpx.ErrBodyTooLarge)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Equal(t, "body_too_large", decodeProblem(t, rec)["code"])
}

func TestDecodeJSON_TrailingDataPastTheLimitIs413(t *testing.T) {
	body := `{"surname":"a"}` + strings.Repeat(" ", httpx.MaxBodyBytes) + "x"

	_, _, err := decode(t, "application/json", body)

	require.ErrorIs(t, err, httpx.ErrBodyTooLarge)
}

func TestDecodeJSON_UnknownFieldIs400NamingTheField(t *testing.T) {
	_, rec, err := decode(t, "application/json", `{"surname":"A","is_admin":true}`)

	require.ErrorIs(t, err, httpx.ErrUnknownField)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	p := decodeProblem(t, rec)
	assert.Equal(t, "unknown_field", p["code"])
	assert.Equal(t, []any{map[string]any{"field": "is_admin", "code": "unknown_field", "message": "unknown field"}}, p["errors"])
}

func TestDecodeJSON_UnknownNestedFieldIs400(t *testing.T) {
	_, _, err := decode(t, "application/json", `{"address_ru":{"city":"M","flat_no":"7"}}`)

	var he *httpx.Error
	require.ErrorAs(t, err, &he)
	assert.Equal(t, "unknown_field", he.Code)
	assert.Equal(t, "flat_no", he.Fields[0].Field)
}

func TestDecodeJSON_MalformedBodiesAre400(t *testing.T) {
	for name, body := range map[string]string{
		"empty":          "",
		"not json":       "surname=A",
		"truncated":      `{"surname":"A"`,
		"trailing value": `{"surname":"A"}{"surname":"B"}`,
		"trailing junk":  `{"surname":"A"} x`,
		"bad token":      `{"surname":'A'}`,
		"top-level type": `["A"]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, rec, err := decode(t, "application/json", body)
			require.ErrorIs(t, err, httpx.ErrMalformedJSON)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Equal(t, "malformed_json", decodeProblem(t, rec)["code"])
		})
	}
}

func TestDecodeJSON_WrongTypeNamesTheField(t *testing.T) {
	for name, tc := range map[string]struct {
		body, field, message string
	}{
		"number for string": {`{"surname":42}`, "surname", "expected a string, got number"},
		"string for number": {`{"age":"forty"}`, "age", "expected a number, got string"},
		"nested":            {`{"address_ru":{"postal_code":101000}}`, "address_ru.postal_code", "expected a string, got number"},
		"object for uuid":   {`{"account_id":{}}`, "account_id", "expected a string, got object"},
	} {
		t.Run(name, func(t *testing.T) {
			_, rec, err := decode(t, "application/json", tc.body)
			require.ErrorIs(t, err, httpx.ErrMalformedJSON)
			p := decodeProblem(t, rec)
			assert.Equal(t, "malformed_json", p["code"])
			assert.Equal(t, []any{map[string]any{"field": tc.field, "code": "invalid_type", "message": tc.message}}, p["errors"])
		})
	}
}

func TestDecodeJSON_InvalidTextValueIs400(t *testing.T) {
	_, rec, err := decode(t, "application/json", `{"account_id":"not-a-uuid"}`)

	require.Error(t, err)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "malformed_json", decodeProblem(t, rec)["code"])
}

func TestDecodeJSON_NonPointerDestinationIsAServerBug(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")

	err := httpx.DecodeJSON(httptest.NewRecorder(), req, registration{})

	require.Error(t, err)
	assert.Equal(t, http.StatusInternalServerError, httpx.StatusFor(err))
}

func TestDecodeJSON_ErrorsAreNotDomainErrors(t *testing.T) {
	_, _, err := decode(t, "application/json", `{`)
	var de *domain.Error
	assert.False(t, errors.As(err, &de), "transport refusals must not be journaled as domain refusals")
}
