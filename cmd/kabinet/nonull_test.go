package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nullableScalars are the fields documented as a date or null: no list.
var nullableScalars = map[string]bool{"clarification_due": true}

// nulls lists the JSON paths of v holding null (bar nullableScalars).
func nulls(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case nil:
		return []string{path}
	case map[string]any:
		for k, e := range x {
			if e == nil && nullableScalars[k] {
				continue
			}
			out = append(out, nulls(path+"."+k, e)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, nulls(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	}
	return out
}

func TestAnswers_ListsAreNeverNull(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79168880001")
	op := ts.staffToken("operator", "op-1")
	paths := map[string]string{
		"/v1/services":                          "",
		"/v1/accounts/" + id + "/cabinet":       tok,
		"/v1/accounts/" + id + "/applications":  tok,
		"/v1/accounts/" + id + "/notifications": tok,
		"/v1/operator/queue?kind=identity":      op,
		"/v1/operator/queue?kind=applications":  op,
		"/v1/accounts/" + id + "/history":       ts.staffToken("auditor", "aud-1"),
	}
	for path, who := range paths {
		t.Run(path, func(t *testing.T) {
			var a answer
			require.Eventually(t, func() bool { a = ts.do("GET", path, who, nil); return a.status == http.StatusOK }, 5*time.Second, 20*time.Millisecond)
			var v any
			require.NoError(t, json.Unmarshal(a.raw, &v))
			assert.Empty(t, nulls("$", v), "a new account's answers carry empty lists, not null: %s", a.raw)
		})
	}
	appID, appTok := ts.simplifiedApplicant("+79168880002")
	sub := ts.submit(applicant{id: appID, token: appTok}, "certificate")
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	for _, path := range []string{"/v1/applications/" + sub.body["application_id"].(string), "/v1/accounts/" + appID + "/applications",
		"/v1/accounts/" + appID + "/cabinet"} {
		a := ts.read(path, appTok, sub)
		require.Equal(t, http.StatusOK, a.status, string(a.raw))
		var v any
		require.NoError(t, json.Unmarshal(a.raw, &v))
		assert.Empty(t, nulls("$", v), "%s: %s", path, a.raw)
	}
	c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil)
	assert.Equal(t, []any{}, c.body["documents"])
	s := ts.do("GET", "/v1/services", "", nil)
	for _, svc := range s.body["items"].([]any) {
		assert.NotNil(t, svc.(map[string]any)["documents"], svc.(map[string]any)["code"])
	}
}
