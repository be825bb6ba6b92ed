package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/readapi"
)

// TestVerify_AcceptsAProvenHistoryAndCatchesEdits writes a history to the
// service's event store, lets the journal writer prove it, exports it as
// the API does, checks it with this verifier (which uses no Kabinet code)
// and checks that edits are caught.
func TestVerify_AcceptsAProvenHistoryAndCatchesEdits(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	defer store.Close()
	skey, vkey, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	signer, verifier, _, err := journal.ParseKey(skey)
	require.NoError(t, err)
	j, err := journal.Open(ctx, db, signer, verifier, journal.Options{Events: store})
	require.NoError(t, err)

	id := uuid.Must(uuid.NewV7())
	snils, err := domain.ParseSnils("112-233-445 95")
	require.NoError(t, err)
	at := time.Date(2026, 11, 20, 10, 0, 0, 123456000, time.UTC)
	var evs []eventstore.EventData
	for _, e := range []domain.Event{domain.SnilsLinked{Snils: snils, OccurredAt: at}} {
		typ, v, data, err := domain.EncodeEvent(e)
		require.NoError(t, err)
		evs = append(evs, eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: v, Data: data,
			Metadata: []byte(`{"actor_id":"` + id.String() + `","actor_role":"citizen","command":"LinkSnils","command_id":"c1"}`), OccurredAt: at})
	}
	_, err = store.Append(ctx, "account-"+id.String(), eventstore.NoStream, evs)
	require.NoError(t, err)

	h := readapi.NewHistories(store).WithProofs(j)
	early, _, err := h.ProvenPage(ctx, id, 0, 50)
	require.NoError(t, err)
	b, err := json.Marshal(early)
	require.NoError(t, err)
	res, err := verify(bytes.NewReader(b), vkey, "")
	require.NoError(t, err)
	assert.Equal(t, result{unproven: 1}, res, "an event not journaled yet is not yet proven, never passed")

	w, err := journaling.New(ctx, journaling.Config{Store: store, DB: db, Journal: j, MinInterval: time.Millisecond, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(rctx) }()
	require.Eventually(t, func() bool { st, err := w.Status(ctx); return err == nil && st.CaughtUp() }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	_, err = j.Checkpoint(ctx)
	require.NoError(t, err)

	p, _, err := h.ProvenPage(ctx, id, 0, 50)
	require.NoError(t, err)
	export, err := json.Marshal(p)
	require.NoError(t, err)

	res, err = verify(bytes.NewReader(export), vkey, "account-"+id.String())
	require.NoError(t, err)
	assert.Equal(t, 1, res.proven)

	recs, err := store.ReadAll(ctx, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, eventstore.Hash(recs[0]), p.Items[0].EventHash, "the documented hash is the service's")

	edits := map[string]string{
		"another actor shown": strings.Replace(string(export), `"actor_role":"citizen"`, `"actor_role":"operator"`, 1),
		"another time":        strings.Replace(string(export), `10:00:00.123456Z`, `10:00:01.123456Z`, 1),
		"another stream":      strings.Replace(string(export), `"stream_id":"account-`, `"stream_id":"xaccount-`, 1),
	}
	for name, edited := range edits {
		require.NotEqual(t, string(export), edited, name)
		_, err := verify(strings.NewReader(edited), vkey, "")
		assert.Error(t, err, name)
	}
	_, otherKey, _ := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	_, err = verify(bytes.NewReader(export), otherKey, "")
	assert.Error(t, err, "another key's checkpoint is refused")
	_, err = verify(bytes.NewReader(export), vkey, "account-"+uuid.NewString())
	assert.Error(t, err, "another account's history")
}
