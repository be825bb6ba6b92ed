package witness_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/journal/journalhttp"
	"github.com/kabinet/kabinet/platform/journal/witness"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

type key struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

func newKey(t *testing.T) key {
	skey, _, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	s, v, vkey, err := journal.ParseKey(skey)
	require.NoError(t, err)
	return key{s, v, vkey}
}

// logServer is a journal served over HTTP.
type logServer struct {
	j   *journal.Journal
	url string
}

func serve(t *testing.T, db *sqldb.DB, k key) logServer {
	j, err := journal.Open(context.Background(), db, k.signer, k.verifier, journal.Options{VerifierKey: k.vkey})
	require.NoError(t, err)
	r := chi.NewRouter()
	journalhttp.Routes(r, j, func(h http.Handler) http.Handler { return h }, nil)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return logServer{j: j, url: srv.URL}
}

// grow appends n entries whose action is tagged and checkpoints the tree.
func (s logServer) grow(t *testing.T, tag string, n int) {
	t.Helper()
	ctx := context.Background()
	es := make([]journal.Entry, n)
	for i := range es {
		es[i] = journal.Entry{Action: fmt.Sprintf("%s-%d", tag, i), Outcome: journal.Done, ActorID: "u1"}
	}
	_, err := s.j.Append(ctx, es...)
	require.NoError(t, err)
	_, err = s.j.Checkpoint(ctx)
	require.NoError(t, err)
}

func readState(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestWitness_AcceptsFirstSightingAndGoodExtensions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		k := newKey(t)
		s := serve(t, db, k)
		state := filepath.Join(t.TempDir(), "witness.state")
		s.grow(t, "a", 5)

		res, err := witness.Observe(ctx, nil, s.url, state, k.vkey)
		require.NoError(t, err)
		assert.True(t, res.First)
		assert.Equal(t, uint64(5), res.NewSize)

		for _, n := range []int{1, 7, 50} {
			s.grow(t, "b", n)
			require.NoError(t, witness.Run(ctx, nil, s.url, state, k.vkey))
		}
		res, err = witness.Observe(ctx, nil, s.url, state, k.vkey)
		require.NoError(t, err, "an unchanged journal is fine")
		assert.Equal(t, uint64(63), res.NewSize)
		latest, err := s.j.LatestCheckpoint(ctx)
		require.NoError(t, err)
		assert.Equal(t, latest.Note, readState(t, state), "the state is the last accepted signed checkpoint")
		info, err := os.Stat(state)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	})
}

func TestWitness_AMissingStateDirectoryIsExplainedNotCreated(t *testing.T) {
	db := sqltest.SQLite(t)
	k := newKey(t)
	s := serve(t, db, k)
	s.grow(t, "a", 2)
	dir := filepath.Join(t.TempDir(), "secure")
	_, err := witness.Observe(context.Background(), nil, s.url, filepath.Join(dir, "witness.state"), k.vkey)
	require.ErrorIs(t, err, witness.ErrNoStateDir)
	assert.Contains(t, err.Error(), "mkdir -m 700 -p "+dir, "the message says what to do")
	assert.NoDirExists(t, dir, "not created: a mistyped path is no first run")
	require.NoError(t, os.Mkdir(dir, 0o700))
	res, err := witness.Observe(context.Background(), nil, s.url, filepath.Join(dir, "witness.state"), k.vkey)
	require.NoError(t, err)
	assert.True(t, res.First)
}

func TestWitness_CatchesRollbackAndForksSignedWithTheRealKey(t *testing.T) {
	k := newKey(t)
	honest := serve(t, sqltest.SQLite(t), k)
	honest.grow(t, "real", 20)
	state := filepath.Join(t.TempDir(), "witness.state")
	ctx := context.Background()
	require.NoError(t, witness.Run(ctx, nil, honest.url, state, k.vkey))
	held := readState(t, state)

	// The key holder rebuilds the journal from scratch in another database.
	rolledBack := serve(t, sqltest.SQLite(t), k)
	rolledBack.grow(t, "real", 12)
	sameSize := serve(t, sqltest.SQLite(t), k)
	sameSize.grow(t, "rewritten", 20)
	longer := serve(t, sqltest.SQLite(t), k)
	longer.grow(t, "real", 19)
	longer.grow(t, "rewritten", 10) // entry 19 differs, then grows past 20
	otherKey := serve(t, sqltest.SQLite(t), newKey(t))
	otherKey.grow(t, "real", 30)

	tests := []struct {
		name    string
		url     string
		wantErr error
		msg     string
	}{
		{"rollback", rolledBack.url, witness.ErrRollback, "shows size 12, smaller than size 20"},
		{"fork at the same size", sameSize.url, witness.ErrFork, "size 20 now has root"},
		{"fork that grew", longer.url, witness.ErrFork, "size 29 does not extend size 20"},
		{"another key", otherKey.url, witness.ErrBadCheckpoint, "checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := witness.Run(ctx, nil, tt.url, state, k.vkey)
			require.ErrorIs(t, err, tt.wantErr)
			assert.ErrorContains(t, err, tt.msg)
			assert.Equal(t, held, readState(t, state), "the old state is kept")
		})
	}

	t.Run("journal unreachable", func(t *testing.T) {
		err := witness.Run(ctx, nil, "http://127.0.0.1:1", state, k.vkey)
		require.Error(t, err)
		assert.Equal(t, held, readState(t, state))
	})
	t.Run("the honest journal still extends", func(t *testing.T) {
		honest.grow(t, "real", 3)
		require.NoError(t, witness.Run(ctx, nil, honest.url, state, k.vkey))
		assert.NotEqual(t, held, readState(t, state))
	})
}

func TestWitness_RefusesALyingConsistencyProof(t *testing.T) {
	k := newKey(t)
	s := serve(t, sqltest.SQLite(t), k)
	s.grow(t, "a", 6)
	state := filepath.Join(t.TempDir(), "witness.state")
	ctx := context.Background()
	require.NoError(t, witness.Run(ctx, nil, s.url, state, k.vkey))
	held := readState(t, state)
	s.grow(t, "b", 6)

	// A proxy that serves the real checkpoint but tampers with the proof.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(s.url + r.URL.RequestURI())
		require.NoError(t, err)
		defer resp.Body.Close()
		var body [4096]byte
		n, _ := resp.Body.Read(body[:])
		out := body[:n]
		if r.URL.Path == "/v1/journal/proof/consistency" {
			out = []byte(`{"from":6,"to":12,"hashes":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]}`)
		}
		w.Write(out)
	}))
	defer proxy.Close()
	err := witness.Run(ctx, nil, proxy.URL, state, k.vkey)
	require.ErrorIs(t, err, witness.ErrFork)
	assert.Equal(t, held, readState(t, state))
}
