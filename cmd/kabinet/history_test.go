package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
)

// scriptHistory writes a long, varied history for one account straight
// through the repository, with a fake clock a minute and a bit apart.
func scriptHistory(t *testing.T, ts *testServer, steps int) (uuid.UUID, []time.Time) {
	ctx := context.Background()
	repo := commands.NewRepository(ts.app.Store, newID)
	h, err := domain.NewHMACCodeHasher([]byte(strings.Repeat("h", 32)))
	require.NoError(t, err)
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	md := commands.Metadata{ActorRole: "citizen", CorrelationID: "script", CausationID: "c", SourceIP: "10.0.0.1", Command: "Scripted"}
	a, err := domain.Register(newID(), domain.Registration{Consent: domain.CurrentConsent(), Surname: "Ахмедов", GivenNames: "Рустам", Citizenship: "TJ",
		Phone: "+79121112233", Email: "rustam@example.com"}, now)
	require.NoError(t, err)
	md.ActorID = a.ID().String()
	_, err = repo.Create(ctx, a, md)
	require.NoError(t, err)
	times := []time.Time{now, now} // AccountRegistered, ConsentGiven
	rnd := mrand.New(mrand.NewPCG(3, 4))
	codes := map[domain.Channel]string{}
	for i := 0; i < steps; i++ {
		now = now.Add(61*time.Second + time.Duration(rnd.IntN(30))*time.Minute)
		ch := []domain.Channel{domain.ChannelPhone, domain.ChannelEmail}[rnd.IntN(2)]
		res, _ := repo.Update(ctx, a.ID(), md, func(acc *domain.ForeignerAccount) error {
			switch rnd.IntN(10) {
			case 0, 1, 2, 3:
				c, err := acc.RequestContactCode(ch, now, rand.Reader, h)
				codes[ch] = c
				return err
			case 4, 5, 6, 7, 8:
				return acc.ConfirmContact(ch, "999999", now, h)
			default:
				return acc.ConfirmContact(ch, codes[ch], now, h)
			}
		})
		if res.Position > 0 {
			times = append(times, now)
		}
	}
	return a.ID(), times
}

// independentFold is the test's own reading of the history items: it does
// not use the domain package, so it checks the replay from outside.
type foldContact struct {
	confirmed bool
	attempts  int
	locked    bool
}

func independentFold(items []map[string]any) (level string, contacts map[string]*foldContact) {
	contacts = map[string]*foldContact{}
	for _, it := range items {
		d := it["data"].(map[string]any)
		switch it["type"] {
		case "AccountRegistered":
			if d["phone"] != nil {
				contacts["phone"] = &foldContact{attempts: 3}
			}
			if d["email"] != nil {
				contacts["email"] = &foldContact{attempts: 3}
			}
		case "ContactConfirmationRequested":
			// A new code restores attempts only after a lock ended.
			if c := contacts[d["channel"].(string)]; c.locked {
				c.attempts, c.locked = 3, false
			}
		case "ContactConfirmationFailed":
			contacts[d["channel"].(string)].attempts = int(d["attempts_left"].(float64))
		case "ContactConfirmationLocked":
			c := contacts[d["channel"].(string)]
			c.locked, c.attempts = true, 0
		case "ContactConfirmed":
			contacts[d["channel"].(string)].confirmed = true
		}
	}
	for _, c := range contacts {
		if c.confirmed {
			level = "simplified"
		}
	}
	return level, contacts
}

func TestHistoryAndState_EveryPrefixMatchesAnIndependentFold(t *testing.T) {
	ts := startServer(t, nil)
	id, times := scriptHistory(t, ts, 200)
	aud, err := ts.app.Issuer.Mint(principal("aud-1", "auditor", ""), time.Hour)
	require.NoError(t, err)

	// The whole history, page by page (limit 7), in order, with metadata.
	var items []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		a := ts.do("GET", "/v1/accounts/"+id.String()+"/history?limit=7"+cursor, aud, nil)
		require.Equal(t, 200, a.status, string(a.raw))
		for _, it := range a.body["items"].([]any) {
			items = append(items, it.(map[string]any))
		}
		next, ok := a.body["next_cursor"].(string)
		if !ok {
			break
		}
		cursor = "&cursor=" + next
		require.Less(t, pages, 1000)
	}
	require.Greater(t, len(items), 40, "a long history")
	for i, it := range items {
		assert.EqualValues(t, i, it["version"])
		md := it["metadata"].(map[string]any)
		assert.Equal(t, "script", md["correlation_id"])
		assert.Equal(t, "10.0.0.1", md["source_ip"])
		if it["type"] == "ContactConfirmationRequested" {
			assert.EqualValues(t, 2, it["schema_version"])
		}
	}

	for n := range items {
		a := ts.do("GET", fmt.Sprintf("/v1/accounts/%s/state?version=%d", id, n), aud, nil)
		require.Equal(t, 200, a.status, string(a.raw))
		assert.EqualValues(t, n, a.body["version"])
		level, contacts := independentFold(items[:n+1])
		st := a.body["state"].(map[string]any)
		assert.Equal(t, level, st["level"], "level at version %d", n)
		got := st["contacts"].([]any)
		require.Len(t, got, len(contacts))
		for _, g := range got {
			g := g.(map[string]any)
			want := contacts[g["channel"].(string)]
			assert.Equal(t, want.confirmed, g["confirmed"], "confirmed %s at %d", g["channel"], n)
			if !want.confirmed {
				assert.EqualValues(t, want.attempts, g["attempts_left"], "attempts %s at %d", g["channel"], n)
				assert.Equal(t, want.locked, g["locked_until"] != nil, "lock %s at %d", g["channel"], n)
			}
		}
	}
	// ?at= a moment between two events shows the state after the earlier one.
	mid := times[len(times)/2].Add(time.Second)
	a := ts.do("GET", "/v1/accounts/"+id.String()+"/state?at="+url.QueryEscape(mid.Format(time.RFC3339)), aud, nil)
	require.Equal(t, 200, a.status, string(a.raw))
	assert.EqualValues(t, len(times)/2, a.body["version"])
	a = ts.do("GET", "/v1/accounts/"+id.String()+"/state?at=2020-01-01T00:00:00Z", aud, nil)
	assert.Equal(t, 404, a.status, "nothing existed then")

	// Only auditors: the owner, operators and security get 404.
	op, _ := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
	sec, _ := ts.app.Issuer.Mint(principal("sec-1", "security", ""), time.Hour)
	owner, _ := ts.app.Issuer.Mint(principal(id.String(), "citizen", id.String()), time.Hour)
	for _, tok := range []string{op, sec, owner} {
		assert.Equal(t, 404, ts.do("GET", "/v1/accounts/"+id.String()+"/history", tok, nil).status)
		assert.Equal(t, 404, ts.do("GET", "/v1/accounts/"+id.String()+"/state?version=0", tok, nil).status)
	}
	assert.Equal(t, 401, ts.do("GET", "/v1/accounts/"+id.String()+"/history", "", nil).status)

	// The CLI prints the same events.
	ts.stop()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"history", id.String(), "--data-dir", ts.dataDir}, &out, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, len(items))
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, "AccountRegistered", first["type"])
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"history", id.String(), "--format", "table", "--data-dir", ts.dataDir}, &out, &out))
	assert.Contains(t, out.String(), "VERSION")
	assert.Equal(t, len(items)+1, strings.Count(out.String(), "\n"))
}
