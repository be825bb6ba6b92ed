package main

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
)

func activityItems(t *testing.T, ts *testServer, account, token, query string) answer {
	t.Helper()
	a := ts.do("GET", "/v1/accounts/"+account+"/activity"+query, token, nil)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	return a
}

func TestActivity_TheCitizensOwnJournalWithStaffByRoleOnly(t *testing.T) {
	onBothStores(t, func(t *testing.T, ts *testServer, clk *testClock) {
		id, tok := ts.simplifiedApplicant("+79166660001")
		other, otherTok := ts.simplifiedApplicant("+79166660002")
		op := ts.staffToken("operator", "op-secret-7")
		head, err := ts.app.Store.Head(context.Background())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/cabinet", op, nil,
			"X-Kabinet-Min-Position", strconv.FormatUint(head, 10)).status, "a staff read, journaled")
		require.Equal(t, http.StatusCreated, ts.do("POST", "/v1/accounts/"+id+"/support-requests", tok, map[string]any{"topic": "t", "text": "x"}).status)
		require.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/cabinet", otherTok, nil).status, "a denied read by someone else")

		var items []any
		waitFor(t, func() bool {
			items = activityItems(t, ts, id, tok, "").body["items"].([]any)
			actions := map[string]bool{}
			for _, it := range items {
				actions[it.(map[string]any)["action"].(string)] = true
			}
			return actions["RegisterAccount"] && actions["ConfirmContact"] && actions["OpenSupportRequest"] && actions["ReadCabinet"]
		}, "the journal writer has taken the entries")
		raw := string(activityItems(t, ts, id, tok, "").raw)
		assert.NotContains(t, raw, "op-secret-7", "staff appear by role only")
		assert.NotContains(t, raw, other, "nothing names another account")
		for _, it := range items {
			e := it.(map[string]any)
			if e["action"] == "ReadCabinet" && e["actor_role"] == "operator" {
				assert.Equal(t, false, e["by_you"])
				assert.Nil(t, e["ip"], "no staff address")
			}
			if e["action"] == "OpenSupportRequest" {
				assert.Equal(t, true, e["by_you"])
			}
		}

		first := activityItems(t, ts, id, tok, "?limit=2")
		require.Len(t, first.body["items"], 2)
		next := first.body["next_cursor"].(string)
		second := activityItems(t, ts, id, tok, "?limit=2&cursor="+next)
		assert.NotEqual(t, first.body["items"].([]any)[0].(map[string]any)["seq"], second.body["items"].([]any)[0].(map[string]any)["seq"])

		assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/activity", otherTok, nil).status)
		assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/activity", op, nil).status, "the owner's alone")
		assert.Equal(t, http.StatusBadRequest, ts.do("GET", "/v1/accounts/"+id+"/activity?cursor=x", tok, nil).status)
		assert.Equal(t, http.StatusBadRequest, ts.do("GET", "/v1/accounts/"+id+"/activity?limit=0", tok, nil).status)
	})
}

// TestActivity_OneItemPerActionWithoutTheWriteSidesBookkeeping: a
// confirmation and a submission write claim, number and index streams
// beside the account's; the citizen sees each action once.
func TestActivity_OneItemPerActionWithoutTheWriteSidesBookkeeping(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79166660903")
	sub := ts.submit(p, "patent")
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	head, err := ts.app.Store.Head(context.Background())
	require.NoError(t, err)
	var actions []string
	require.Eventually(t, func() bool {
		a := activityItems(t, ts, p.id, p.token, "?limit=100")
		actions = actions[:0]
		for _, it := range a.body["items"].([]any) {
			actions = append(actions, it.(map[string]any)["action"].(string))
		}
		return slices.Contains(actions, "SubmitApplication")
	}, 5*time.Second, 50*time.Millisecond, "head %d", head)
	for action := range commands.BookkeepingTypes() {
		assert.NotContains(t, actions, action)
	}
	count := func(action string) (n int) {
		for _, a := range actions {
			if a == action {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 1, count("ConfirmContact"), "%v", actions)
	assert.Equal(t, 1, count("SubmitApplication"), "%v", actions)
	assert.Equal(t, 1, count("RegisterAccount"), "%v", actions)
}
