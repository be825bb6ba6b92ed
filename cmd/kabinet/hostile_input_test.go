package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/httpx"
)

func TestHostileInput_NulBytesAndInvalidUTF8Are400NotAnswersOf500(t *testing.T) {
	ts := startServer(t, nil)
	acc, tok := ts.register("+79123450101")
	op := ts.operatorToken()
	for _, path := range []string{
		"/v1/applications/by-number/%00", "/v1/accounts/" + acc + "%00/cabinet", "/v1/accounts/%ff/cabinet",
		"/v1/accounts/" + acc + "/applications?status=%00", "/v1/operator/queue?kind=%c3",
	} {
		a := ts.do("GET", path, op, nil)
		assert.Equal(t, http.StatusBadRequest, a.status, "%s: %s", path, a.raw)
		assert.Equal(t, httpx.CodeInvalidText, a.body["code"], path)
	}
	a := ts.do("PUT", "/v1/accounts/"+acc+"/personal-data", tok, `{"surname":"Ив\u0000анов"}`)
	assert.Equal(t, http.StatusBadRequest, a.status, string(a.raw))
	a = ts.do("PUT", "/v1/accounts/"+acc+"/personal-data", tok, "{\"surname\":\"\xff\"}")
	assert.Equal(t, http.StatusBadRequest, a.status, string(a.raw))
}

func TestHostileInput_AFormWithManyUnknownFieldsAnswersAtMost20FieldErrors(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79123450102")
	var b strings.Builder
	b.WriteString(`{"service":"certificate","form":{"kind":"right_to_work","purpose":"x"`)
	for i := range 40_000 {
		fmt.Fprintf(&b, `,"f%d":"x"`, i)
	}
	b.WriteString(`},"document_ids":[]}`)
	a := ts.do("POST", "/v1/accounts/"+p.id+"/applications", p.token, b.String())
	require.Equal(t, http.StatusUnprocessableEntity, a.status, string(a.raw[:min(len(a.raw), 300)]))
	errs, _ := a.body["errors"].([]any)
	assert.NotEmpty(t, errs)
	assert.LessOrEqual(t, len(errs), httpx.MaxFieldErrors)
	assert.Less(t, len(a.raw), 8<<10)
}

func TestHostileInput_AHugeUserAgentIsStoredCut(t *testing.T) {
	ts := startServer(t, nil)
	acc, tok := ts.register("+79123450103")
	ua := strings.Repeat("Mozilla/5.0 ", 20_000)
	a := ts.do("POST", "/v1/accounts/"+acc+"/contacts/phone/code", tok, nil, "User-Agent", ua)
	require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
	recs, err := ts.app.Store.ReadStream(t.Context(), "account-"+acc, eventstore.Forward, 0, 100)
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	meta := string(recs[len(recs)-1].Metadata)
	assert.Contains(t, meta, "Mozilla/5.0")
	assert.Less(t, len(meta), 1024, "metadata holds the user agent cut to %d bytes", httpx.MaxUserAgentBytes)
}
