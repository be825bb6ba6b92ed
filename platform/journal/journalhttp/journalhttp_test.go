package journalhttp_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/journal/journalhttp"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// onlySecurity lets through requests that say they are the security role;
// the real guard is platform/auth's.
func onlySecurity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Role") != "security" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type server struct {
	j    *journal.Journal
	db   *sqldb.DB
	url  string
	vkey string
}

func newServer(t *testing.T, db *sqldb.DB) server {
	skey, _, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	s, v, vkey, err := journal.ParseKey(skey)
	require.NoError(t, err)
	j, err := journal.Open(context.Background(), db, s, v, journal.Options{VerifierKey: vkey, CheckpointEvery: 10})
	require.NoError(t, err)
	r := chi.NewRouter()
	journalhttp.Routes(r, j, onlySecurity, nil)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return server{j: j, db: db, url: srv.URL, vkey: vkey}
}

func (s server) fill(t *testing.T, n int) {
	es := make([]journal.Entry, n)
	for i := range es {
		es[i] = journal.Entry{
			Action: fmt.Sprintf("Act%d", i%2), Outcome: journal.Done, ActorID: "op-1", ActorRole: "operator",
			AccountID: fmt.Sprintf("acc-%d", i%3), IP: "203.0.113.7", UserAgent: "curl/8",
		}
	}
	_, err := s.j.Append(context.Background(), es...)
	require.NoError(t, err)
}

// get fetches path, as security when secure, and returns status, content type and body.
func (s server) get(t *testing.T, path string, secure bool) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(t, err)
	if secure {
		req.Header.Set("X-Test-Role", "security")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func (s server) getJSON(t *testing.T, path string, secure bool, v any) {
	t.Helper()
	status, ct, body := s.get(t, path, secure)
	require.Equal(t, http.StatusOK, status, "%s: %s", path, body)
	require.Equal(t, "application/json", ct)
	require.NoError(t, json.Unmarshal(body, v))
}

func TestRoutes_EntriesAreForSecurityOnlyAndProofsArePublic(t *testing.T) {
	s := newServer(t, sqltest.SQLite(t))
	s.fill(t, 12)
	for _, path := range []string{"/v1/journal", "/v1/journal/verify", "/v1/journal/proof/inclusion?seq=0&size=10"} {
		status, _, _ := s.get(t, path, false)
		assert.Equal(t, http.StatusForbidden, status, path)
	}
	for _, path := range []string{"/v1/journal/checkpoint", "/v1/journal/checkpoints/12", "/v1/journal/public-key",
		"/v1/journal/proof/consistency?from=0&to=10"} {
		status, _, body := s.get(t, path, false)
		assert.Equal(t, http.StatusOK, status, "%s: %s", path, body)
	}
}

func TestRoutes_ListPagesWithACursorAndFilters(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		s.fill(t, 12)
		var seqs []uint64
		path := "/v1/journal?account_id=acc-1&limit=2"
		for pages := 0; path != ""; pages++ {
			require.Less(t, pages, 10)
			var page journalhttp.List
			s.getJSON(t, path, true, &page)
			for _, it := range page.Items {
				seqs = append(seqs, it.Seq)
				assert.Equal(t, "acc-1", it.AccountID)
				assert.Len(t, it.LeafHash, 32)
				assert.Equal(t, "203.0.113.7", it.SourceIP)
			}
			path = ""
			if page.NextCursor != "" {
				path = "/v1/journal?account_id=acc-1&limit=2&cursor=" + page.NextCursor
			}
		}
		assert.Equal(t, []uint64{1, 4, 7, 10}, seqs)

		var all journalhttp.List
		s.getJSON(t, "/v1/journal?limit=9999&outcome=done&action=Act1", true, &all)
		assert.Len(t, all.Items, 6)
		assert.Empty(t, all.NextCursor)
	})
}

func TestRoutes_RefuseBadParametersAsProblems(t *testing.T) {
	s := newServer(t, sqltest.SQLite(t))
	s.fill(t, 3)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/journal?limit=0", 400, "invalid_parameter"},
		{"/v1/journal?cursor=-1", 400, "invalid_parameter"},
		{"/v1/journal?outcome=maybe", 400, "invalid_parameter"},
		{"/v1/journal?from=yesterday", 400, "invalid_parameter"},
		{"/v1/journal/proof/inclusion?seq=0", 404, "not_found"}, // no checkpoint yet
		{"/v1/journal/proof/inclusion?seq=5&size=3", 400, "invalid_range"},
		{"/v1/journal/proof/consistency?from=1&to=9", 400, "invalid_range"},
		{"/v1/journal/proof/consistency?from=x&to=2", 400, "invalid_parameter"},
		{"/v1/journal/checkpoint", 404, "not_found"},
		{"/v1/journal/checkpoints/2", 404, "not_found"},
	}
	for _, tt := range tests {
		status, ct, body := s.get(t, tt.path, true)
		assert.Equal(t, tt.status, status, tt.path)
		assert.Equal(t, "application/problem+json", ct, tt.path)
		var p map[string]any
		require.NoError(t, json.Unmarshal(body, &p), tt.path)
		assert.Equal(t, tt.code, p["code"], tt.path)
		assert.Equal(t, float64(tt.status), p["status"], tt.path)
		assert.NotEmpty(t, p["title"], tt.path)
	}
}

// TestRoutes_AnOutsiderChecksEverythingOverHTTP uses only upstream
// libraries on what the endpoints return.
func TestRoutes_AnOutsiderChecksEverythingOverHTTP(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		s.fill(t, 25) // checkpoints at 25 (batch), then on demand
		s.fill(t, 8)
		_, err := s.j.Checkpoint(context.Background())
		require.NoError(t, err)

		_, ct, key := s.get(t, "/v1/journal/public-key", false)
		assert.Equal(t, "text/plain; charset=utf-8", ct)
		v, err := note.NewVerifier(string(key[:len(key)-1]))
		require.NoError(t, err)
		open := func(path string) *log.Checkpoint {
			status, ct, body := s.get(t, path, false)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, "text/plain; charset=utf-8", ct)
			cp, _, _, err := log.ParseCheckpoint(body, v.Name(), v)
			require.NoError(t, err)
			return cp
		}
		latest := open("/v1/journal/checkpoint")
		old := open("/v1/journal/checkpoints/25")
		assert.Equal(t, uint64(33), latest.Size)

		var cons journalhttp.ConsistencyAnswer
		s.getJSON(t, "/v1/journal/proof/consistency?from=25&to=33", false, &cons)
		require.NoError(t, proof.VerifyConsistency(rfc6962.DefaultHasher, 25, 33, cons.Hashes, old.Hash, latest.Hash))

		for seq := range uint64(33) {
			var inc journalhttp.InclusionAnswer
			s.getJSON(t, fmt.Sprintf("/v1/journal/proof/inclusion?seq=%d", seq), true, &inc)
			assert.Equal(t, uint64(33), inc.Size, "size defaults to the latest checkpoint")
			require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, seq, inc.Size, inc.LeafHash, inc.Hashes, latest.Hash))
		}

		var ok journalhttp.VerifyAnswer
		s.getJSON(t, "/v1/journal/verify", true, &ok)
		assert.True(t, ok.OK)
		assert.Equal(t, latest.Hash, ok.RootHash)
		_, err = db.ExecContext(context.Background(), `UPDATE journal_entries SET actor_id = 'someone' WHERE seq = 30`)
		require.NoError(t, err)
		var bad journalhttp.VerifyAnswer
		s.getJSON(t, "/v1/journal/verify", true, &bad)
		assert.False(t, bad.OK)
		require.NotNil(t, bad.FirstBadSeq)
		assert.Equal(t, uint64(30), *bad.FirstBadSeq)
		assert.NotEmpty(t, bad.Reason)
	})
}
