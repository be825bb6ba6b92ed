package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

// mskAt is day's hh:mm in Moscow, day being days after the clock's Moscow day.
func mskAt(clk *testClock, days, hh, mm int) time.Time {
	d := clk.Now().In(domain.Moscow).AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, domain.Moscow)
}

func TestSupport_OpenedAt2055IsDueNextMorningAndEveryAnswerIsNotified(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, _ := ts.simplifiedApplicant("+79161110001")
		clk.Set(mskAt(clk, 1, 20, 55))
		tok := ts.citizenToken(id)
		a := ts.do("POST", "/v1/accounts/"+id+"/support-requests", tok, map[string]any{"topic": "Вход", "text": "Не приходит СМС"})
		require.Equal(t, http.StatusCreated, a.status, string(a.raw))
		assert.Regexp(t, regexp.MustCompile(`^S-\d{4}-\d{6}$`), a.body["number"])
		assert.Equal(t, "open", a.body["status"])
		assert.Equal(t, mskAt(clk, 1, 9, 10).UTC().Format(time.RFC3339), a.body["first_answer_due"], "20:55 + 15 working minutes")
		req := a.body["request_id"].(string)

		op := ts.staffToken("operator", "op-1")
		ans := ts.do("POST", "/v1/support-requests/"+req+"/messages", op, map[string]any{"text": "Проверьте номер"})
		require.Equal(t, http.StatusCreated, ans.status, string(ans.raw))
		assert.Equal(t, "answered", ans.body["status"])
		again := ts.do("POST", "/v1/support-requests/"+req+"/messages", tok, map[string]any{"text": "Номер верный"})
		require.Equal(t, http.StatusCreated, again.status, string(again.raw))
		assert.Equal(t, "open", again.body["status"], "the citizen's follow-up waits on an operator again")
		ans2 := ts.do("POST", "/v1/support-requests/"+req+"/messages", op, map[string]any{"text": "Исправлено"})
		require.Equal(t, http.StatusCreated, ans2.status)
		res := ts.do("POST", "/v1/support-requests/"+req+"/resolve", op, nil)
		require.Equal(t, http.StatusOK, res.status, string(res.raw))
		cl := ts.do("POST", "/v1/support-requests/"+req+"/close", tok, nil)
		require.Equal(t, http.StatusOK, cl.status, string(cl.raw))
		assert.Equal(t, "closed", cl.body["status"])

		g := ts.do("GET", "/v1/support-requests/"+req, tok, nil, "X-Kabinet-Min-Position", position(cl))
		require.Equal(t, http.StatusOK, g.status, string(g.raw))
		msgs := g.body["messages"].([]any)
		require.Len(t, msgs, 4, "the request's text and three messages, in order")
		assert.Equal(t, "operator", msgs[1].(map[string]any)["by_role"])
		assert.NotContains(t, string(g.raw), "op-1", "staff appear by role only")

		n := ts.do("GET", "/v1/accounts/"+id+"/notifications", tok, nil, "X-Kabinet-Min-Position", position(cl))
		require.Equal(t, http.StatusOK, n.status, string(n.raw))
		answers := 0
		for _, it := range n.body["items"].([]any) {
			if m := it.(map[string]any); m["kind"] == "support" && m["title"] == "Ответ на обращение" {
				answers++
			}
		}
		assert.Equal(t, 2, answers, "one notice per operator's answer, none for the citizen's own message")
	})
}

func TestSupport_DataSecurityIsResolvedWithinFourWorkingHours(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, _ := ts.simplifiedApplicant("+79161110002")
		clk.Set(mskAt(clk, 1, 19, 0))
		a := ts.do("POST", "/v1/accounts/"+id+"/support-requests", ts.citizenToken(id),
			map[string]any{"topic": "Утечка", "text": "Кто-то вошёл", "priority": "data_security"})
		require.Equal(t, http.StatusCreated, a.status, string(a.raw))
		assert.Equal(t, mskAt(clk, 1, 11, 0).UTC().Format(time.RFC3339), a.body["resolution_due"], "2 h today, 2 h from 9:00")
	})
}

func TestSupport_OverdueRequestsLeadTheOperatorQueue(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, _ := ts.simplifiedApplicant("+79161110003")
		clk.Set(mskAt(clk, 1, 10, 0))
		tok := ts.citizenToken(id)
		first := ts.do("POST", "/v1/accounts/"+id+"/support-requests", tok, map[string]any{"topic": "Первый", "text": "a"})
		require.Equal(t, http.StatusCreated, first.status)
		clk.Add(20 * time.Minute) // the first is now overdue (due 10:15)
		second := ts.do("POST", "/v1/accounts/"+id+"/support-requests", tok, map[string]any{"topic": "Второй", "text": "b"})
		require.Equal(t, http.StatusCreated, second.status)
		q := ts.do("GET", "/v1/operator/support-queue", ts.staffToken("operator", "op-1"), nil, "X-Kabinet-Min-Position", position(second))
		require.Equal(t, http.StatusOK, q.status, string(q.raw))
		items := q.body["items"].([]any)
		require.Len(t, items, 2)
		assert.Equal(t, first.body["request_id"], items[0].(map[string]any)["request_id"])
		assert.Equal(t, true, items[0].(map[string]any)["overdue"])
		assert.Equal(t, false, items[1].(map[string]any)["overdue"])
	})
}

func TestSupport_RolesAndBadInput(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, tok := ts.simplifiedApplicant("+79161110004")
		other, otherTok := ts.simplifiedApplicant("+79161110005")
		a := ts.do("POST", "/v1/accounts/"+id+"/support-requests", tok, map[string]any{"topic": "Т", "text": "текст"})
		require.Equal(t, http.StatusCreated, a.status)
		req := a.body["request_id"].(string)
		aud := ts.staffToken("auditor", "aud-1")
		for name, c := range map[string]struct {
			method, path, token string
			body                any
			status              int
			code                string
		}{
			"another citizen opens on my account":  {"POST", "/v1/accounts/" + id + "/support-requests", otherTok, map[string]any{"topic": "x", "text": "y"}, 404, ""},
			"another citizen reads my request":     {"GET", "/v1/support-requests/" + req, otherTok, nil, 404, ""},
			"another citizen writes in my request": {"POST", "/v1/support-requests/" + req + "/messages", otherTok, map[string]any{"text": "y"}, 404, ""},
			"a citizen resolves":                   {"POST", "/v1/support-requests/" + req + "/resolve", tok, nil, 404, ""},
			"an auditor reads the queue":           {"GET", "/v1/operator/support-queue", aud, nil, 404, ""},
			"no token":                             {"GET", "/v1/accounts/" + id + "/support-requests", "", nil, 401, ""},
			"unknown request":                      {"GET", "/v1/support-requests/" + newID().String(), tok, nil, 404, ""},
			"bad priority":                         {"POST", "/v1/accounts/" + id + "/support-requests", tok, map[string]any{"topic": "x", "text": "y", "priority": "urgent"}, 422, "validation_failed"},
			"no text":                              {"POST", "/v1/accounts/" + id + "/support-requests", tok, map[string]any{"topic": "x"}, 422, "validation_failed"},
			"unknown field":                        {"POST", "/v1/accounts/" + id + "/support-requests", tok, map[string]any{"topic": "x", "text": "y", "cc": "z"}, 400, ""},
			"malformed body":                       {"POST", "/v1/accounts/" + id + "/support-requests", tok, "{", 400, ""},
			"bad cursor":                           {"GET", "/v1/accounts/" + id + "/support-requests?cursor=!!", tok, nil, 400, "cursor_invalid"},
		} {
			got := ts.do(c.method, c.path, c.token, c.body)
			assert.Equal(t, c.status, got.status, name+": "+string(got.raw))
			if c.code != "" {
				assert.Equal(t, c.code, got.body["code"], name)
			}
		}
		l := ts.do("GET", "/v1/accounts/"+other+"/support-requests", otherTok, nil, "X-Kabinet-Min-Position", position(a))
		require.Equal(t, http.StatusOK, l.status)
		assert.Empty(t, l.body["items"], "nothing of another account")
		mine := ts.do("GET", "/v1/accounts/"+id+"/support-requests", ts.staffToken("operator", "op-1"), nil)
		require.Equal(t, http.StatusOK, mine.status, "operators read a citizen's requests")
		assert.Len(t, mine.body["items"], 1)
	})
}
