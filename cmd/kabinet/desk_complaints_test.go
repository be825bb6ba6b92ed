package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rejectedCertificate submits a certificate application for a new
// simplified account and has operator reject it.
func (ts *testServer) rejectedCertificate(phone, operator string) (account, token, app string) {
	ts.t.Helper()
	account, token = ts.simplifiedApplicant(phone)
	s := ts.do("POST", "/v1/accounts/"+account+"/applications", token, map[string]any{
		"service": "certificate", "form": validForm("certificate"), "document_ids": []string{},
	})
	require.Equal(ts.t, http.StatusCreated, s.status, string(s.raw))
	app = s.body["application_id"].(string)
	ts.act(app, "reject", ts.staffToken("operator", operator), map[string]any{"reasons": []string{"other"}, "comment": "Нет оснований"}, http.StatusOK)
	return account, token, app
}

func TestComplaints_DecidedByAnotherOperatorUpheldReopensReview(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		_, tok, app := ts.rejectedCertificate("+79163330001", "op-a")
		c := ts.do("POST", "/v1/applications/"+app+"/complaints", tok, map[string]any{"text": "Не согласен", "corrections": "Цель указана верно"})
		require.Equal(t, http.StatusCreated, c.status, string(c.raw))
		assert.Equal(t, "pending", c.body["status"])
		complaint := c.body["complaint_id"].(string)
		twice := ts.do("POST", "/v1/applications/"+app+"/complaints", tok, map[string]any{"text": "ещё", "corrections": "ещё"})
		assert.Equal(t, "complaint_pending", twice.body["code"])

		same := ts.do("POST", "/v1/complaints/"+complaint+"/decide", ts.staffToken("operator", "op-a"), map[string]any{"outcome": "upheld", "comment": "сам"})
		assert.Equal(t, http.StatusForbidden, same.status, "four eyes: not the rejecting operator")
		assert.Equal(t, "complaint_same_operator", same.body["code"])

		d := ts.do("POST", "/v1/complaints/"+complaint+"/decide", ts.staffToken("operator", "op-b"), map[string]any{"outcome": "upheld", "comment": "Отказ необоснован"})
		require.Equal(t, http.StatusOK, d.status, string(d.raw))
		assert.Equal(t, "upheld", d.body["status"])
		assert.Equal(t, "in_review", d.body["application_status"])
		g := ts.do("GET", "/v1/applications/"+app, tok, nil, "X-Kabinet-Min-Position", position(d))
		require.Equal(t, http.StatusOK, g.status, string(g.raw))
		assert.Equal(t, "in_review", g.body["status"], "review reopens")
		again := ts.do("POST", "/v1/complaints/"+complaint+"/decide", ts.staffToken("operator", "op-c"), map[string]any{"outcome": "dismissed", "comment": "x"})
		assert.Equal(t, "complaint_decided", again.body["code"])
	})
}

func TestComplaints_DismissedKeepsTheRefusal(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		_, tok, app := ts.rejectedCertificate("+79163330002", "op-a")
		c := ts.do("POST", "/v1/applications/"+app+"/complaints", tok, map[string]any{"text": "Не согласен", "corrections": "—"})
		require.Equal(t, http.StatusCreated, c.status, string(c.raw))
		d := ts.do("POST", "/v1/complaints/"+c.body["complaint_id"].(string)+"/decide", ts.staffToken("operator", "op-b"),
			map[string]any{"outcome": "dismissed", "comment": "Отказ обоснован"})
		require.Equal(t, http.StatusOK, d.status, string(d.raw))
		assert.Equal(t, "rejected", d.body["application_status"])
	})
}

func TestComplaints_After30DaysTooLate(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		account, _, app := ts.rejectedCertificate("+79163330003", "op-a")
		clk.Add(30*24*time.Hour + time.Minute)
		c := ts.do("POST", "/v1/applications/"+app+"/complaints", ts.citizenToken(account), map[string]any{"text": "Поздно", "corrections": "—"})
		assert.Equal(t, http.StatusUnprocessableEntity, c.status, string(c.raw))
		assert.Equal(t, "complaint_too_late", c.body["code"])
	})
}

func TestComplaints_RolesAndBadInput(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		_, tok, app := ts.rejectedCertificate("+79163330004", "op-a")
		_, otherTok := ts.simplifiedApplicant("+79163330005")
		c := ts.do("POST", "/v1/applications/"+app+"/complaints", tok, map[string]any{"text": "t", "corrections": "c"})
		require.Equal(t, http.StatusCreated, c.status)
		complaint := c.body["complaint_id"].(string)
		op := ts.staffToken("operator", "op-b")
		for name, k := range map[string]struct {
			path, token string
			body        any
			status      int
			code        string
		}{
			"another citizen complains": {"/v1/applications/" + app + "/complaints", otherTok, map[string]any{"text": "t", "corrections": "c"}, 404, ""},
			"an operator complains":     {"/v1/applications/" + app + "/complaints", op, map[string]any{"text": "t", "corrections": "c"}, 404, ""},
			"a citizen decides":         {"/v1/complaints/" + complaint + "/decide", tok, map[string]any{"outcome": "upheld", "comment": "c"}, 404, ""},
			"an unknown complaint":      {"/v1/complaints/" + newID().String() + "/decide", op, map[string]any{"outcome": "upheld", "comment": "c"}, 404, ""},
			"a bad outcome":             {"/v1/complaints/" + complaint + "/decide", op, map[string]any{"outcome": "maybe", "comment": "c"}, 422, "enum"},
			"no corrections":            {"/v1/applications/" + app + "/complaints", tok, map[string]any{"text": "t"}, 422, "validation_failed"},
			"malformed body":            {"/v1/complaints/" + complaint + "/decide", op, "{", 400, ""},
		} {
			got := ts.do("POST", k.path, k.token, k.body)
			assert.Equal(t, k.status, got.status, name+": "+string(got.raw))
			if k.code != "" {
				assert.Equal(t, k.code, got.body["code"], name)
			}
		}
		fresh, freshTok := ts.simplifiedApplicant("+79163330006")
		s := ts.do("POST", "/v1/accounts/"+fresh+"/applications", freshTok, map[string]any{"service": "certificate", "form": validForm("certificate"), "document_ids": []string{}})
		require.Equal(t, http.StatusCreated, s.status)
		nr := ts.do("POST", "/v1/applications/"+s.body["application_id"].(string)+"/complaints", freshTok, map[string]any{"text": "t", "corrections": "c"})
		assert.Equal(t, "application_not_rejected", nr.body["code"])
	})
}
