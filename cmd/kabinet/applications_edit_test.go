package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

func TestApplications_TheOwnerEditsUntilAnOperatorAccepts(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.simplifiedApplicant("+79160000081")
	_, otherTok := ts.simplifiedApplicant("+79160000082")
	sub := ts.submit(applicant{id: id, token: tok}, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	path := "/v1/applications/" + app
	edit := map[string]any{"form": map[string]any{"kind": "stay_status", "purpose": "Для банка"}}

	for name, who := range map[string]string{"another citizen": otherTok, "an operator": ts.operatorToken()} {
		a := ts.do("PUT", path, who, edit)
		assert.Equal(t, http.StatusNotFound, a.status, "%s: %s", name, a.raw)
	}
	assert.Equal(t, http.StatusUnauthorized, ts.do("PUT", path, "", edit).status)
	a := ts.do("PUT", path, tok, map[string]any{"form": map[string]any{"kind": "astrology", "purpose": "x"}})
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "validation_failed", a.body["code"], string(a.raw))
	a = ts.do("PUT", path, tok, map[string]any{"colour": "red"})
	assert.Equal(t, http.StatusBadRequest, a.status, string(a.raw))

	a = ts.do("PUT", path, tok, edit)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	assert.Equal(t, "submitted", a.body["status"])
	got := ts.read(path, tok, a)
	require.Equal(t, http.StatusOK, got.status, string(got.raw))
	assert.Equal(t, "stay_status", got.body["form"].(map[string]any)["kind"])
	hist := got.body["history"].([]any)
	assert.Equal(t, "ApplicationEdited", hist[len(hist)-1].(map[string]any)["event"], "the edit is in the history")

	ts.act(app, "accept", ts.operatorToken(), nil, http.StatusOK)
	a = ts.do("PUT", path, tok, edit)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "invalid_transition", a.body["code"], "accepted: no more edits: %s", a.raw)
}
