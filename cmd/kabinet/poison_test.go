package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/projections/cabinet"
)

// TestPoisonedProjection_ReadyzAndTheMetricSayItAndTheCLIListsIt appends an
// event no projector can decode (a schema version from the future): each
// projection poisons it once and goes on.
func TestPoisonedProjection_ReadyzAndTheMetricSayItAndTheCLIListsIt(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	bad, err := ts.app.Store.Append(ctx, commands.StreamName(uuid.Must(uuid.NewV7())), eventstore.NoStream, []eventstore.EventData{{
		ID: uuid.Must(uuid.NewV7()), Type: "AccountRegistered", SchemaVersion: 99,
		Data: []byte(`{"from":"the future"}`), Metadata: []byte(`{}`), OccurredAt: time.Now(),
	}})
	require.NoError(t, err)
	acc, tok := ts.register("+79123450201") // after it: the projection goes on
	head, err := ts.app.Store.Head(ctx)
	require.NoError(t, err)
	a := ts.do("GET", "/v1/accounts/"+acc+"/cabinet", tok, nil, "X-Kabinet-Min-Position", strconv.FormatUint(head, 10))
	require.Equal(t, http.StatusOK, a.status, string(a.raw))

	require.Eventually(t, func() bool {
		a := ts.do("GET", "/readyz", "", nil)
		p, _ := a.body["poisoned"].(map[string]any)
		return a.status == http.StatusOK && a.body["status"] == "degraded" && p[cabinet.ProjectorName] == float64(1)
	}, 30*time.Second, 50*time.Millisecond, "readyz names the poisoned projection")
	require.Eventually(t, func() bool {
		a := ts.do("GET", "/metrics", "", nil)
		return strings.Contains(string(a.raw), `projection_poisoned_events{projection="cabinet"} 1`)
	}, 30*time.Second, 50*time.Millisecond, "the metric counts it")
	ts.stop()

	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"projections", "poison", "list", "--consumer", "cabinet", "--data-dir", ts.dataDir}, &out, io.Discard))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, out.String())
	assert.Contains(t, lines[1], "cabinet")
	assert.Contains(t, lines[1], "pending")
	assert.Contains(t, lines[1], " "+strconv.FormatUint(bad.LastPosition, 10)+" ")

	// Without a fix the replay fails and the entry stays pending.
	id := strings.Fields(lines[1])[0]
	err = run(ctx, []string{"projections", "poison", "replay", id, "--data-dir", ts.dataDir}, io.Discard, io.Discard)
	require.Error(t, err)
	out.Reset()
	require.NoError(t, run(ctx, []string{"projections", "poison", "list", "--data-dir", ts.dataDir}, &out, io.Discard))
	assert.Contains(t, out.String(), "pending")
	assert.Error(t, run(ctx, []string{"projections", "poison", "replay", "x", "--data-dir", ts.dataDir}, io.Discard, io.Discard))
}
