package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/httpx"
)

func cleaned(t *testing.T, target string, ua string) (*httptest.ResponseRecorder, *http.Request) {
	t.Helper()
	var seen *http.Request
	h := httpx.CleanInput(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r }))
	req := httptest.NewRequest("GET", "/", nil)
	u, err := req.URL.Parse(target)
	require.NoError(t, err)
	req.URL = u
	if ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, seen
}

func TestCleanInput_NulOrInvalidUTF8InPathOrQueryIs400(t *testing.T) {
	for _, target := range []string{"/v1/accounts/a%00b", "/v1/accounts/%ff", "/x?status=%00", "/x?s=%c3", "/x?%00=1", "/x?a=%zz"} {
		rec, seen := cleaned(t, target, "")
		assert.Equal(t, http.StatusBadRequest, rec.Code, target)
		assert.Equal(t, httpx.ProblemContentType, rec.Header().Get("Content-Type"), target)
		assert.Nil(t, seen, "%s reached the handler", target)
	}
	rec, seen := cleaned(t, "/v1/accounts/кириллица?q=%D0%B0", "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.NotNil(t, seen)
}

func TestCleanInput_UserAgentIsCutTo256BytesOfValidUTF8(t *testing.T) {
	_, seen := cleaned(t, "/", strings.Repeat("я", 200_000))
	ua := seen.Header.Get("User-Agent")
	assert.LessOrEqual(t, len(ua), httpx.MaxUserAgentBytes)
	assert.GreaterOrEqual(t, len(ua), httpx.MaxUserAgentBytes-3)
	assert.True(t, utf8.ValidString(ua))
	assert.Equal(t, "ok\uFFFDua", httpx.CutUserAgent("ok\xffua"))
}

func decodeBody(t *testing.T, body string, dst any) error {
	t.Helper()
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return httpx.DecodeJSON(httptest.NewRecorder(), req, dst)
}

func TestDecodeJSON_NulByteInAnyStringIs400NamingTheField(t *testing.T) {
	type body struct {
		Name string         `json:"name"`
		Form map[string]any `json:"form"`
		List []string       `json:"list"`
	}
	for raw, field := range map[string]string{
		`{"name":"a\u0000"}`:                  "name",
		`{"form":{"addr":{"city":"\u0000"}}}`: "form.addr.city",
		`{"list":["ok","\u0000"]}`:            "list[1]",
	} {
		var dst body
		err := decodeBody(t, raw, &dst)
		var he *httpx.Error
		require.ErrorAs(t, err, &he, raw)
		assert.Equal(t, httpx.CodeInvalidText, he.Code)
		require.Len(t, he.Fields, 1)
		assert.Equal(t, field, he.Fields[0].Field)
	}
	var dst body
	require.NoError(t, decodeBody(t, `{"name":"\\u0000 is text"}`, &dst))
}

func TestDecodeJSON_InvalidUTF8Is400(t *testing.T) {
	var dst map[string]any
	err := decodeBody(t, "{\"name\":\"\xff\"}", &dst)
	assert.Equal(t, http.StatusBadRequest, httpx.StatusFor(err))
	assert.Equal(t, httpx.CodeInvalidText, httpx.CodeFor(err))
}

func TestWriteError_ListsAtMost20FieldErrors(t *testing.T) {
	var fields []domain.FieldError
	for i := range 40_000 {
		fields = append(fields, domain.FieldError{Field: "f" + strings.Repeat("x", i%7), Code: "unknown_field", Message: "unknown field"})
	}
	rec := httptest.NewRecorder()
	httpx.WriteError(rec, httptest.NewRequest("POST", "/", nil), domain.ValidationError(fields))
	var p struct {
		Errors []json.RawMessage `json:"errors"`
		Total  int               `json:"errors_total"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	assert.Len(t, p.Errors, httpx.MaxFieldErrors)
	assert.Equal(t, 40_000, p.Total)
	assert.Less(t, rec.Body.Len(), 4096)
}
