package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/journal/proofcheck"
)

// auditAll reads every page of the audit log query q (as auditor aud) and
// returns the items, waiting for the read model to reach min.
func auditAll(t *testing.T, ts *testServer, aud, q, min string) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100)
		a := ts.do("GET", "/v1/audit/events?limit=2&"+q+cursor, aud, nil, "X-Kabinet-Min-Position", min)
		require.Equal(t, http.StatusOK, a.status, string(a.raw))
		for _, it := range a.body["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		next, _ := a.body["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = "&cursor=" + url.QueryEscape(next)
	}
}

func TestAuditEvents_FiltersAcrossAccountsOldestFirstWithProofs(t *testing.T) {
	backends(t, func(t *testing.T, env map[string]string) {
		ts := startServer(t, env)
		start := time.Now().UTC().Add(-time.Second)
		var ids []string
		var last string
		for i := range 3 {
			id, tok := ts.register(fmt.Sprintf("+7912555010%d", i))
			a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil)
			require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
			ids, last = append(ids, id), position(a)
		}
		aud := ts.staffToken("auditor", "aud-1")

		regs := auditAll(t, ts, aud, "type=AccountRegistered", last)
		require.Len(t, regs, 3, "one registration each, across accounts, over pages of 2")
		for i := 1; i < len(regs); i++ {
			assert.Less(t, regs[i-1]["position"].(float64), regs[i]["position"].(float64), "oldest first")
		}
		for _, it := range regs {
			assert.Equal(t, "AccountRegistered", it["type"])
			assert.Contains(t, it, "data", "items are shaped as in the history")
		}
		mine := auditAll(t, ts, aud, "account_id="+ids[1], last)
		hist := ts.do("GET", "/v1/accounts/"+ids[1]+"/history", aud, nil)
		require.Len(t, mine, len(hist.body["items"].([]any)), "an account's events are its history")
		for _, it := range mine {
			assert.Equal(t, ids[1], it["metadata"].(map[string]any)["actor_id"])
		}
		assert.Len(t, auditAll(t, ts, aud, "actor_id="+ids[2]+"&type=ContactConfirmationRequested", last), 1)
		assert.NotEmpty(t, auditAll(t, ts, aud, "actor_role=citizen", last))
		assert.Empty(t, auditAll(t, ts, aud, "actor_role=operator", last))
		assert.Empty(t, auditAll(t, ts, aud, "to="+start.Format(time.RFC3339Nano), last), "nothing before the test began")
		assert.Len(t, auditAll(t, ts, aud, "type=AccountRegistered&from="+start.Format(time.RFC3339Nano), last), 3)

		// With proofs: every item checks offline against the signed checkpoint.
		var page answer
		require.Eventually(t, func() bool {
			page = ts.do("GET", "/v1/audit/events?proofs=true&type=AccountRegistered", aud, nil)
			return page.status == http.StatusOK && !strings.Contains(string(page.raw), "not_yet_proven")
		}, 20*time.Second, 20*time.Millisecond)
		key := string(ts.do("GET", "/v1/journal/public-key", "", nil).raw)
		res, err := proofcheck.History(bytes.NewReader(page.raw), key, "")
		require.NoError(t, err)
		assert.Equal(t, 3, res.Proven)

		// Each account on a page is a staff read, journaled.
		require.Eventually(t, func() bool {
			es, err := ts.app.Journal.Entries(context.Background(), journal.Filter{Action: "ReadAuditEvents", AccountID: ids[0]})
			return err == nil && len(es) > 0 && es[0].ActorID == "aud-1"
		}, 10*time.Second, 20*time.Millisecond)
	})
}

func TestAuditEvents_OnlyAuditorsAndBadInput(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79125550201")
	for _, who := range []string{tok, ts.staffToken("operator", "op-1"), ts.staffToken("security", "sec-1"), ts.staffToken("admin", "adm-1")} {
		a := ts.do("GET", "/v1/audit/events", who, nil)
		assert.Equal(t, http.StatusNotFound, a.status, "others learn nothing")
		assert.NotContains(t, string(a.raw), id)
	}
	assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/audit/events", "", nil).status)
	aud := ts.staffToken("auditor", "aud-1")
	for q, code := range map[string]string{
		"actor_role=king": "actor_role_invalid", "from=yesterday": "from_invalid", "to=2025-13-01": "to_invalid",
		"account_id=nope": "account_id_invalid", "cursor=zzz": "cursor_invalid", "proofs=1": "proofs_invalid", "limit=0": "limit_invalid",
		"from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z": "to_invalid",
	} {
		a := ts.do("GET", "/v1/audit/events?"+q, aud, nil)
		assert.Equal(t, http.StatusBadRequest, a.status, q)
		assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"), q)
		if code != "" {
			assert.Equal(t, code, a.body["code"], q)
		}
	}
}

func TestAuditEvents_RebuildGivesTheSameAnswer(t *testing.T) {
	ts := startServer(t, nil)
	ts.register("+79125550301")
	ts.register("+79125550302")
	aud := ts.staffToken("auditor", "aud-1")
	var before answer
	require.Eventually(t, func() bool {
		before = ts.do("GET", "/v1/audit/events", aud, nil)
		// Each registration records two events (AccountRegistered, ConsentGiven).
		return before.status == http.StatusOK && len(before.body["items"].([]any)) == 4
	}, 10*time.Second, 20*time.Millisecond)
	ts.stop()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"projections", "rebuild", "audit", "--data-dir", ts.dataDir}, &out, &out))
	assert.Contains(t, out.String(), "rebuilt audit")

	ts2 := startServerIn(t, ts.dataDir)
	after := ts2.do("GET", "/v1/audit/events", ts2.staffToken("auditor", "aud-1"), nil)
	require.Equal(t, http.StatusOK, after.status)
	assert.JSONEq(t, string(before.raw), string(after.raw))
}
