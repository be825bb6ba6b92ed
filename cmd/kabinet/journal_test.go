package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// journalItems lists every journal entry as the security role sees it.
func journalItems(t *testing.T, ts *testServer, sec, query string) []map[string]any {
	var out []map[string]any
	cursor := ""
	for {
		a := ts.do("GET", "/v1/journal?limit=500"+query+cursor, sec, nil)
		require.Equal(t, 200, a.status, string(a.raw))
		for _, it := range a.body["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		next, ok := a.body["next_cursor"].(string)
		if !ok {
			return out
		}
		cursor = "&cursor=" + next
	}
}

func TestJournal_EveryKindOfActionIsJournaledAndVerifiable(t *testing.T) {
	ts := startServer(t, nil)
	defer ts.stop()
	id, tok := ts.register("+79127770001")                                                                // done
	ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil)                                    // done
	ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": "000000"}) // refused, with an event
	ts.do("POST", "/v1/accounts/"+id+"/contacts/email/code", tok, nil)                                    // refused: no email, no event
	_, other := ts.register("+79127770002")
	ts.do("GET", "/v1/accounts/"+id+"/cabinet", other, nil) // denied 404
	ts.do("GET", "/v1/accounts/"+id+"/cabinet", "", nil)    // denied 401
	op, _ := ts.app.Issuer.Mint(principal("op-7", "operator", ""), time.Hour)
	require.Eventually(t, func() bool { return ts.do("GET", "/v1/accounts/"+id+"/cabinet", op, nil).status == 200 }, 5*time.Second, 20*time.Millisecond) // staff read
	ts.do("GET", "/v1/journal", op, nil)                                                                                                                 // an operator may not read the journal: denied, journaled

	sec, _ := ts.app.Issuer.Mint(principal("sec-1", "security", ""), time.Hour)
	want := map[string]string{
		"RegisterAccount":    "done",
		"RequestContactCode": "done",
		"ConfirmContact":     "refused",
		"POST /v1/accounts/{id}/contacts/{channel}/code": "refused",
		"GET /v1/accounts/{id}/cabinet":                  "denied",
		"ReadCabinet":                                    "done",
		"GET /v1/journal":                                "denied",
	}
	var items []map[string]any
	require.Eventually(t, func() bool {
		items = journalItems(t, ts, sec, "&account_id="+id)
		seen := map[string]bool{}
		for _, it := range items {
			if want[it["action"].(string)] == it["outcome"] {
				seen[it["action"].(string)] = true
			}
		}
		return len(seen) >= len(want)-1 // the journal read has no account id
	}, 10*time.Second, 50*time.Millisecond, "journal: %v", items)
	for _, it := range items {
		switch it["action"] {
		case "ConfirmContact":
			assert.Equal(t, "code_invalid", it["reason"])
			assert.NotEmpty(t, it["event_positions"])
		case "POST /v1/accounts/{id}/contacts/{channel}/code":
			assert.Equal(t, "contact_missing", it["reason"])
		case "ReadCabinet":
			assert.Equal(t, "op-7", it["actor_id"])
			assert.Equal(t, "operator", it["actor_role"])
		}
		assert.NotEmpty(t, it["leaf_hash"])
	}
	require.Eventually(t, func() bool {
		for _, it := range journalItems(t, ts, sec, "&outcome=denied") {
			if it["action"] == "GET /v1/journal" && it["actor_id"] == "op-7" {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "a denied journal read is itself journaled")

	// A checkpoint arrives within seconds; an outsider checks it and an
	// inclusion proof with the upstream libraries only.
	var cp []byte
	require.Eventually(t, func() bool {
		a := ts.do("GET", "/v1/journal/checkpoint", "", nil)
		cp = a.raw
		return a.status == 200
	}, 10*time.Second, 100*time.Millisecond)
	key := string(ts.do("GET", "/v1/journal/public-key", "", nil).raw)
	v, err := note.NewVerifier(strings.TrimSpace(key))
	require.NoError(t, err)
	_, err = note.Open(cp, note.VerifierList(v))
	require.NoError(t, err)
	c, _, _, err := log.ParseCheckpoint(cp, v.Name(), v)
	require.NoError(t, err)
	require.Greater(t, c.Size, uint64(0))
	a := ts.do("GET", fmt.Sprintf("/v1/journal/proof/inclusion?seq=0&size=%d", c.Size), sec, nil)
	require.Equal(t, 200, a.status, string(a.raw))
	leaf, _ := base64.StdEncoding.DecodeString(a.body["leaf_hash"].(string))
	var hashes [][]byte
	for _, h := range a.body["hashes"].([]any) {
		b, _ := base64.StdEncoding.DecodeString(h.(string))
		hashes = append(hashes, b)
	}
	require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, 0, c.Size, leaf, hashes, c.Hash))
	assert.Equal(t, 404, ts.do("GET", "/v1/journal/proof/inclusion?seq=0&size=1", op, nil).status)

	vr := ts.do("GET", "/v1/journal/verify", sec, nil)
	require.Equal(t, 200, vr.status)
	assert.Equal(t, true, vr.body["ok"], string(vr.raw))
}

// TestJournal_RootHashPrintsTheSameInTheAPIAndTheCLI compares the root of
// GET /v1/journal/verify with the one `kabinet journal verify` prints.
func TestJournal_RootHashPrintsTheSameInTheAPIAndTheCLI(t *testing.T) {
	ts := startServer(t, nil)
	for i := 0; i < 3; i++ {
		ts.register(fmt.Sprintf("+7912777200%d", i))
	}
	// Every event and inbox entry journaled, so the restarted server has
	// nothing left to add before the API answers.
	ts.waitJournalCaughtUp()
	ts.stop()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"journal", "verify", "--data-dir", ts.dataDir}, &out, &out))

	// The security team's read of verify is journaled once it is answered,
	// so the API is asked on the same journal the CLI saw: after a restart,
	// before anything else is journaled.
	again := startServerWithClock(t, nil, newTestClock(), ts.dataDir)
	sec, err := again.app.Issuer.Mint(principal("sec-1", "security", ""), time.Hour)
	require.NoError(t, err)
	vr := again.do("GET", "/v1/journal/verify", sec, nil)
	require.Equal(t, 200, vr.status, string(vr.raw))
	apiRoot, _ := vr.body["root_hash"].(string)
	require.NotEmpty(t, apiRoot)
	assert.Contains(t, out.String(), "root "+apiRoot+",", "the CLI prints the API's form: %s", out.String())
}

// TestJournalCLI_VerifyCatchesAnEditedRow edits a journal row behind the
// service's back; `kabinet journal verify` then fails naming the seq.
func TestJournalCLI_VerifyCatchesAnEditedRow(t *testing.T) {
	ts := startServer(t, nil)
	for i := 0; i < 5; i++ {
		ts.register(fmt.Sprintf("+7912777100%d", i))
	}
	require.Eventually(t, func() bool {
		n, err := ts.app.Journal.Size(context.Background())
		return err == nil && n >= 5
	}, 10*time.Second, 50*time.Millisecond)
	ts.stop()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"journal", "verify", "--data-dir", ts.dataDir}, &out, &out))
	assert.Contains(t, out.String(), "journal OK")

	c, _, err := parseConfig("serve", []string{"--data-dir", ts.dataDir})
	require.NoError(t, err)
	a, err := buildApp(context.Background(), c, &bytes.Buffer{})
	require.NoError(t, err)
	var seq int64 // an action entry's (event leaves share the seqs)
	require.NoError(t, a.JournalDB.QueryRowContext(context.Background(), "SELECT MIN(seq) FROM journal_entries WHERE seq >= 2").Scan(&seq))
	_, err = a.JournalDB.ExecContext(context.Background(), "UPDATE journal_entries SET actor_role = 'admin' WHERE seq = ?", seq)
	require.NoError(t, err)
	a.Close()
	err = run(context.Background(), []string{"journal", "verify", "--data-dir", ts.dataDir}, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("first bad seq %d", seq))

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"journal", "export", "--from", "0", "--data-dir", ts.dataDir}, &out, &out))
	assert.GreaterOrEqual(t, strings.Count(out.String(), "\n"), 6)
	_ = http.StatusOK
}

// waitJournalCaughtUp waits until the journal writer has journaled the
// whole event log and emptied its inbox.
func (ts *testServer) waitJournalCaughtUp() {
	ts.t.Helper()
	ctx := context.Background()
	require.Eventually(ts.t, func() bool {
		head, err := ts.app.Store.Head(ctx)
		if err != nil {
			return false
		}
		var cursor, inbox int64
		if ts.app.JournalDB.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM journal_cursor`).Scan(&cursor) != nil ||
			ts.app.JournalDB.QueryRowContext(ctx, `SELECT count(*) FROM journal_inbox`).Scan(&inbox) != nil {
			return false
		}
		return uint64(cursor) >= head && inbox == 0
	}, 10*time.Second, 20*time.Millisecond, "the journal writer catches up with the log and its inbox")
}
