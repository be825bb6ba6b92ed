package cmdhttp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// credentialServer answers every POST with a fresh random token, as a
// registration or a sign-in does, counting the requests that ran.
type credentialServer struct {
	srv  *httptest.Server
	runs atomic.Int64
	idem *Idempotency
	now  atomic.Pointer[time.Time]
}

func newCredentialServer(t *testing.T, db *sqldb.DB) *credentialServer {
	cs := &credentialServer{}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cs.now.Store(&t0)
	idem, err := NewIdempotency(context.Background(), db, func() time.Time { return *cs.now.Load() })
	require.NoError(t, err)
	cs.idem = idem
	h := idem.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cs.runs.Add(1)
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, http.StatusCreated, map[string]any{
			"account_id": "acc", "run": n, "token": hex.EncodeToString(b), "refresh_token": "r-" + hex.EncodeToString(b),
			"expires_in": 900,
		})
	}))
	cs.srv = httptest.NewServer(h)
	t.Cleanup(cs.srv.Close)
	return cs
}

func (cs *credentialServer) advance(d time.Duration) {
	t := cs.now.Load().Add(d)
	cs.now.Store(&t)
}

type idemAnswer struct {
	status   int
	body     map[string]any
	replayed bool
}

func (cs *credentialServer) post(t *testing.T, key, body, ip, ua string) idemAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, cs.srv.URL+"/v1/accounts", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", ua)
	req.Header.Set("X-Forwarded-For", ip) // believed only from trusted proxies; the test server's peer is loopback
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := idemAnswer{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func TestIdempotency_AReplayNeverHandsOutACredential(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		cs := newCredentialServer(t, db)
		first := cs.post(t, "k-1", `{"a":1}`, "", "browser/1")
		require.Equal(t, http.StatusCreated, first.status)
		require.NotEmpty(t, first.body["token"], "the first answer carries the token")
		again := cs.post(t, "k-1", `{"a":1}`, "", "browser/1")
		assert.True(t, again.replayed)
		assert.Equal(t, http.StatusCreated, again.status)
		assert.Equal(t, first.body["account_id"], again.body["account_id"])
		assert.Equal(t, first.body["expires_in"], again.body["expires_in"])
		assert.NotContains(t, again.body, "token")
		assert.NotContains(t, again.body, "refresh_token")
		assert.EqualValues(t, 1, cs.runs.Load(), "the replay ran nothing")

		var stored []byte
		require.NoError(t, db.NewSelect().Table("idempotency_keys").Column("body").Where("key = ?", "k-1").Scan(context.Background(), &stored))
		assert.NotContains(t, string(stored), first.body["token"].(string), "the record never held the token")
		assert.NotContains(t, string(stored), "refresh_token")
	})
}

func TestIdempotency_AnonymousKeyOfAnotherClientIsNotReplayed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		cs := newCredentialServer(t, db)
		first := cs.post(t, "shared-key", `{"a":1}`, "", "browser/1")
		require.Equal(t, http.StatusCreated, first.status)

		other := cs.post(t, "shared-key", `{"a":1}`, "", "attacker/2")
		assert.False(t, other.replayed, "another client's request is its own")
		assert.Equal(t, http.StatusCreated, other.status)
		assert.NotEqual(t, first.body["run"], other.body["run"], "it ran anew: nothing of the first answer")
		assert.EqualValues(t, 2, cs.runs.Load())

		// The same client with another body under the key: 409, as before.
		assert.Equal(t, http.StatusConflict, cs.post(t, "shared-key", `{"a":2}`, "", "browser/1").status)
	})
}

func TestIdempotency_AnswersExpireAfter24HoursAndArePurged(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		cs := newCredentialServer(t, db)
		cs.post(t, "k-old", `{"a":1}`, "", "ua")
		cs.post(t, "k-other", `{"a":1}`, "", "ua")
		cs.advance(IdempotencyTTL - time.Minute)
		assert.True(t, cs.post(t, "k-old", `{"a":1}`, "", "ua").replayed, "within 24 h")
		cs.advance(2 * time.Minute)
		late := cs.post(t, "k-old", `{"a":1}`, "", "ua")
		assert.False(t, late.replayed, "after 24 h the key is new again")
		assert.EqualValues(t, 3, cs.runs.Load())

		n, err := cs.idem.Purge(context.Background(), *cs.now.Load())
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "k-other expired; k-old was stored anew")
		count, err := db.NewSelect().Table("idempotency_keys").Count(context.Background())
		require.NoError(t, err)
		assert.EqualValues(t, 1, count)
		require.NoError(t, cs.idem.PurgeJob().Run(context.Background(), cs.now.Load().Add(IdempotencyTTL+time.Second)))
		count, err = db.NewSelect().Table("idempotency_keys").Count(context.Background())
		require.NoError(t, err)
		assert.Zero(t, count, "the scheduler job purges")
	})
}

func TestStorableBody_StripsCredentialsAndDropsOpaqueNoStoreBodies(t *testing.T) {
	noStore := http.Header{"Cache-Control": {"no-store"}}
	assert.JSONEq(t, `{"account_id":"a"}`, string(storableBody(noStore, []byte(`{"account_id":"a","token":"t","refresh_token":"r"}`))))
	assert.Nil(t, storableBody(noStore, []byte("opaque-secret")))
	assert.Equal(t, "plain", string(storableBody(http.Header{}, []byte("plain"))))
	assert.Equal(t, `{"position":3}`, string(storableBody(http.Header{}, []byte(`{"position":3}`))))
}
