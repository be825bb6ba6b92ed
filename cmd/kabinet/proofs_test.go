package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// backends runs f on a service with embedded SQLite stores and on one with
// PostgreSQL (events, read models and journal).
func backends(t *testing.T, f func(t *testing.T, env map[string]string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, map[string]string{"checkpoint-interval": "20ms"}) })
	t.Run("postgres", func(t *testing.T) {
		dsn := sqltest.PGDSN(t)
		f(t, map[string]string{"eventstore": dsn, "readstore": dsn, "checkpoint-interval": "20ms"})
	})
}

// provenHistory waits until every event of id's history is under a signed
// checkpoint and returns that page.
func provenHistoryPage(t *testing.T, ts *testServer, aud, id string) answer {
	t.Helper()
	var page answer
	require.Eventually(t, func() bool {
		page = ts.do("GET", "/v1/accounts/"+id+"/history?proofs=true", aud, nil)
		return page.status == http.StatusOK && !strings.Contains(string(page.raw), `"not_yet_proven"`)
	}, 20*time.Second, 20*time.Millisecond, "the journal proves every event")
	return page
}

func TestHistoryProofs_AreCheckedOfflineWithTheVerifierKeyAlone(t *testing.T) {
	backends(t, func(t *testing.T, env map[string]string) {
		ts := startServer(t, env)
		id, tok := ts.register("+79125550001")
		require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
		aud := ts.staffToken("auditor", "aud-1")
		page := provenHistoryPage(t, ts, aud, id)
		require.NotEmpty(t, page.body["checkpoint"])
		items := page.body["items"].([]any)
		require.NotEmpty(t, items)
		first := items[0].(map[string]any)
		for _, k := range []string{"event_hash", "leaf_index", "inclusion", "stored"} {
			assert.Contains(t, first, k)
		}
		key := string(ts.do("GET", "/v1/journal/public-key", "", nil).raw)
		file := filepath.Join(t.TempDir(), "history.json")
		require.NoError(t, os.WriteFile(file, page.raw, 0o600))
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"history", id, "--verify", "--key", key, "--file", file}, &out, &out))
		assert.Contains(t, out.String(), "history OK")

		for name, edit := range map[string]func(string) string{
			"an edited stored event": func(s string) string {
				var p map[string]any
				require.NoError(t, json.Unmarshal([]byte(s), &p))
				it := p["items"].([]any)[0].(map[string]any)
				it["stored"].(map[string]any)["data"] = "e30=" // {}
				b, _ := json.Marshal(p)
				return string(b)
			},
			"another actor shown": func(s string) string {
				return strings.Replace(s, `"actor_role":"citizen"`, `"actor_role":"operator"`, 1)
			},
			"a moved leaf": func(s string) string {
				return strings.Replace(s, `"leaf_index":`, `"leaf_index":1`, 1)
			},
		} {
			require.NoError(t, os.WriteFile(file, []byte(edit(string(page.raw))), 0o600))
			err := run(context.Background(), []string{"history", id, "--verify", "--key", key, "--file", file}, &out, &out)
			assert.Error(t, err, name)
		}
		_, otherKey, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, page.raw, 0o600))
		assert.Error(t, run(context.Background(), []string{"history", id, "--verify", "--key", otherKey, "--file", file}, &out, &out),
			"another key's checkpoint is refused")
		other, _ := ts.register("+79125550002")
		assert.Error(t, run(context.Background(), []string{"history", other, "--verify", "--key", key, "--file", file}, &out, &out),
			"another account's history is not this one's")
	})
}

func TestHistoryProofs_RolesAndBadInput(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79125550011")
	assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/history?proofs=true", tok, nil).status, "the owner")
	assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/history?proofs=true", ts.staffToken("operator", "op-1"), nil).status)
	assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/history?proofs=true", "", nil).status)
	a := ts.do("GET", "/v1/accounts/"+id+"/history?proofs=yes", ts.staffToken("auditor", "aud-1"), nil)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "proofs_invalid", a.body["code"])
	plain := ts.do("GET", "/v1/accounts/"+id+"/history", ts.staffToken("auditor", "aud-1"), nil)
	assert.NotContains(t, string(plain.raw), "event_hash", "no proofs unless asked")
}

func TestHistoryCLI_VerifiesFromTheStoresAndCatchesAnEditedEvent(t *testing.T) {
	ts := startServer(t, map[string]string{"checkpoint-interval": "20ms"})
	id, _ := ts.register("+79125550021")
	provenHistoryPage(t, ts, ts.staffToken("auditor", "aud-1"), id)
	key := string(ts.do("GET", "/v1/journal/public-key", "", nil).raw)
	ts.stop()

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"history", id, "--verify", "--key", key, "--data-dir", ts.dataDir}, &out, &out))
	assert.Contains(t, out.String(), "history OK")
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"journal", "verify", "--data-dir", ts.dataDir}, &out, &out))
	assert.Contains(t, out.String(), "journal OK")

	db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(ts.dataDir, "events.db"), true)
	require.NoError(t, err)
	var pos int64
	require.NoError(t, db.QueryRowContext(context.Background(),
		`SELECT position FROM events WHERE type = 'AccountRegistered' AND stream_id = ?`, "account-"+id).Scan(&pos))
	// Personal fields are sealed at rest: edit what is not (one more byte of
	// JSON whitespace still decodes).
	_, err = db.ExecContext(context.Background(), `UPDATE events SET data = CAST(data || ' ' AS BLOB) WHERE position = ?`, pos)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	err = run(context.Background(), []string{"history", id, "--verify", "--key", key, "--data-dir", ts.dataDir}, &out, &out)
	assert.Error(t, err, "the edited event is no longer the one the journal proves")
	err = run(context.Background(), []string{"journal", "verify", "--data-dir", ts.dataDir}, &out, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "first bad position "+strconv.FormatInt(pos, 10))
}
