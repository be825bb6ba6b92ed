package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
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

func TestJournal_ReadsBySecurityAreJournaled(t *testing.T) {
	ts := startServer(t, nil)
	id, _ := ts.register("+79125550401")
	sec := ts.staffToken("security", "sec-7")
	require.Equal(t, http.StatusOK, ts.do("GET", "/v1/journal?account_id="+id, sec, nil).status)
	vr := ts.do("GET", "/v1/journal/verify", sec, nil)
	require.Equal(t, http.StatusOK, vr.status)
	assert.Equal(t, true, vr.body["ok"], string(vr.raw))
	for _, k := range []string{"events", "event_leaves", "checkpoint_size", "proven_position", "store_head", "unproven_events"} {
		assert.Contains(t, vr.body, k)
	}
	assert.NotContains(t, vr.body, "first_bad_position")
	for _, action := range []string{"ReadJournal", "VerifyJournal"} {
		require.Eventually(t, func() bool {
			es, err := ts.app.Journal.Entries(context.Background(), journal.Filter{Action: action, ActorID: "sec-7"})
			return err == nil && len(es) == 1 && es[0].ActorRole == "security" && es[0].Outcome == journal.Done
		}, 10*time.Second, 20*time.Millisecond, action)
	}
	es, err := ts.app.Journal.Entries(context.Background(), journal.Filter{Action: "ReadJournal"})
	require.NoError(t, err)
	assert.Equal(t, id, es[0].AccountID, "a read filtered by account is about that account")
}

func TestJournalExport_CarriesOnlySaltedHashesOfIPAndUserAgent(t *testing.T) {
	ts := startServer(t, nil)
	a := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": "+79125550411", "consent": consent,
	}, "User-Agent", "secret-agent/7.7")
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	require.Eventually(t, func() bool {
		es, err := ts.app.Journal.Entries(context.Background(), journal.Filter{Action: "RegisterAccount"})
		return err == nil && len(es) == 1 && es[0].UserAgent == "secret-agent/7.7"
	}, 10*time.Second, 20*time.Millisecond)
	ts.stop()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"journal", "export", "--data-dir", ts.dataDir}, &out, &out))
	assert.NotContains(t, out.String(), "secret-agent")
	assert.NotContains(t, out.String(), "127.0.0.1")
	assert.NotContains(t, out.String(), "_salt")
	assert.Contains(t, out.String(), `"user_agent_hash"`)
	assert.Contains(t, out.String(), `"ip_hash"`)
}

func TestUserAgent_IsCutTo256BytesBeforeItIsStored(t *testing.T) {
	ts := startServer(t, nil)
	long := "Mozilla/5.0 " + strings.Repeat("x", 1000)
	a := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": "+79125550421", "consent": consent,
	}, "User-Agent", long)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	id := a.body["account_id"].(string)
	h := ts.do("GET", "/v1/accounts/"+id+"/history", ts.staffToken("auditor", "aud-1"), nil)
	require.Equal(t, http.StatusOK, h.status)
	ua := h.body["items"].([]any)[0].(map[string]any)["metadata"].(map[string]any)["user_agent"].(string)
	assert.Equal(t, long[:256], ua, "the event's metadata keeps 256 bytes")
	require.Eventually(t, func() bool {
		es, err := ts.app.Journal.Entries(context.Background(), journal.Filter{Action: "RegisterAccount", AccountID: id})
		return err == nil && len(es) == 1 && es[0].UserAgent == long[:256]
	}, 10*time.Second, 20*time.Millisecond, "the journal keeps 256 bytes")
}

func TestServe_OutsideEmbeddedModeRefusesTheDataDirsJournalKey(t *testing.T) {
	t.Setenv("KABINET_JOURNAL_KEY", "")
	cases := map[string]func(t *testing.T) []string{
		"KABINET_ENV=production": func(*testing.T) []string { return []string{"--env", "production"} },
		"events in PostgreSQL": func(t *testing.T) []string {
			dsn := sqltest.PGDSN(t)
			return []string{"--eventstore", dsn, "--readstore", dsn}
		},
	}
	for name, argsOf := range cases {
		t.Run(name, func(t *testing.T) {
			args := argsOf(t)
			c, _, err := parseConfig("serve", append([]string{"--data-dir", t.TempDir()}, args...))
			require.NoError(t, err)
			_, err = buildApp(context.Background(), c, &bytes.Buffer{})
			require.Error(t, err)
			assert.True(t, errors.Is(err, errJournalKeyRequired), err.Error())

			skey, _, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
			require.NoError(t, err)
			c.JournalKey = skey
			a, err := buildApp(context.Background(), c, &bytes.Buffer{})
			require.NoError(t, err, "with KABINET_JOURNAL_KEY it starts")
			a.Close()
		})
	}
	c, _, err := parseConfig("serve", []string{"--data-dir", t.TempDir()})
	require.NoError(t, err)
	assert.True(t, c.Embedded(), "the default is embedded: the data dir's key is fine")
	_, _, err = parseConfig("serve", []string{"--env", "staging"})
	assert.Error(t, err, "env is development or production")
}

// TestStores_EveryEmbeddedDatabaseCommitsDurably: the read store holds
// sessions, password hashes and idempotency records besides the read
// models, so it is synchronous=FULL like the events and the journal.
func TestStores_EveryEmbeddedDatabaseCommitsDurably(t *testing.T) {
	ts := startServer(t, nil)
	for name, db := range map[string]*sqldb.DB{"events": ts.app.Events, "read": ts.app.Read, "journal": ts.app.JournalDB} {
		var mode int
		require.NoError(t, db.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&mode), name)
		assert.Equal(t, 2, mode, "%s: synchronous=FULL", name)
	}
}

// TestStores_ReadModelsCommitOnTheReadFileWithoutTheirOwnFlush: the
// projection runner commits the rebuildable read models through a second
// pool on the read store's file at synchronous=NORMAL (a lost commit is
// re-projected; durable commits on the file flush everything before them),
// while the read store itself stays FULL.
func TestStores_ReadModelsCommitOnTheReadFileWithoutTheirOwnFlush(t *testing.T) {
	ts := startServer(t, nil)
	runner := ts.app.Runner.DB
	require.NotSame(t, ts.app.Read, runner)
	assert.Equal(t, ts.app.Read.DSN, runner.DSN, "the same file")
	var mode int
	require.NoError(t, runner.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&mode))
	assert.Equal(t, 1, mode, "synchronous=NORMAL")
	require.NoError(t, ts.app.Read.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&mode))
	assert.Equal(t, 2, mode, "the read store stays synchronous=FULL")
}
