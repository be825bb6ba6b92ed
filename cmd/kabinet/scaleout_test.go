package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// TestScaleOut_TwoInstancesOnePostgresSurviveAKill runs two `kabinet serve`
// processes on one PostgreSQL (events, read models, journal), sends commands
// to both, kills the one holding the projection and journal leases with
// SIGKILL under load, and checks that the other takes over: every accepted
// registration reaches the cabinet read model, every one is journaled once,
// and the journal verifies.
func TestScaleOut_TwoInstancesOnePostgresSurviveAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two binaries")
	}
	dsn := sqltest.PGDSN(t)
	bin := binary(t)
	secret := strings.Repeat("s", 40)
	skey, _, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	env := []string{
		"KABINET_EVENTSTORE=" + dsn, "KABINET_READSTORE=" + dsn,
		"KABINET_JWT_SECRET=" + secret, "KABINET_JOURNAL_KEY=" + skey, "KABINET_RATE_LIMIT=0",
		"KABINET_HMAC_KEY=" + strings.Repeat("h", 40), "KABINET_MASTER_KEY=" + strings.Repeat("m", 40),
	}
	a := startBinaryEnv(t, bin, t.TempDir(), env)
	time.Sleep(300 * time.Millisecond) // let the first take the leases
	b := startBinaryEnv(t, bin, t.TempDir(), env)
	procs := []*proc{a, b}

	var mu sync.Mutex
	accepted := map[string]bool{}
	var alive atomic.Int32
	alive.Store(2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := n.Add(1)
				mu.Lock()
				p := procs[int(i)%int(alive.Load())]
				mu.Unlock()
				req, _ := http.NewRequest("POST", p.url("/v1/accounts"), strings.NewReader(fmt.Sprintf(
					`{"surname":"Ким","given_names":"Анна","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"KZ","phone":"+79%09d"}`, i)))
				req.Header.Set("Content-Type", "application/json")
				resp, raw, err := contractDo(t, nil, req)
				if err != nil {
					continue
				}
				if resp.StatusCode == 201 {
					id := strings.Split(strings.Split(string(raw), `"account_id":"`)[1], `"`)[0]
					mu.Lock()
					accepted[id] = true
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	// a took the leases first: kill it without a chance to clean up.
	require.NoError(t, a.cmd.Process.Kill())
	mu.Lock()
	procs[0], procs[1] = b, a
	alive.Store(1)
	mu.Unlock()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	require.Greater(t, len(accepted), 20, "load ran")

	// b took over the projections: every accepted account reaches its cabinet.
	op := mintFor(t, secret, "operator")
	deadline := time.Now().Add(30 * time.Second)
	for id := range accepted {
		for {
			req, _ := http.NewRequest("GET", b.url("/v1/accounts/"+id+"/cabinet"), nil)
			req.Header.Set("Authorization", "Bearer "+op)
			resp, _, err := contractDo(t, nil, req)
			require.NoError(t, err)
			if resp.StatusCode == 200 {
				break
			}
			require.True(t, time.Now().Before(deadline), "cabinet of %s never appeared (status %d)", id, resp.StatusCode)
			time.Sleep(50 * time.Millisecond)
		}
	}
	// … and the journal: one RegisterAccount entry per registration in the
	// log (a few may have committed on a without their answer reaching the
	// client before the kill), verified.
	db, err := sqldb.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer db.Close()
	var registered int
	require.NoError(t, db.NewRaw("SELECT count(*) FROM events WHERE type = 'AccountRegistered'").Scan(context.Background(), &registered))
	require.GreaterOrEqual(t, registered, len(accepted))
	sec := mintFor(t, secret, "security")
	require.Eventually(t, func() bool {
		return countJournal(t, b, sec, "RegisterAccount") >= registered
	}, 30*time.Second, 200*time.Millisecond)
	assert.Equal(t, registered, countJournal(t, b, sec, "RegisterAccount"), "each command journaled once")
	req, _ := http.NewRequest("GET", b.url("/v1/journal/verify"), nil)
	req.Header.Set("Authorization", "Bearer "+sec)
	_, out, err := contractDo(t, nil, req)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"ok":true`)
}

// mintFor mints a staff token with the instances' shared secret.
func mintFor(t *testing.T, secret, role string) string {
	tok, err := (&auth.Issuer{Secret: []byte(secret), Clock: time.Now}).Mint(principal(role+"-1", role, ""), time.Hour)
	require.NoError(t, err)
	return tok
}

func countJournal(t *testing.T, p *proc, sec, action string) int {
	n := 0
	cursor := ""
	for {
		req, _ := http.NewRequest("GET", p.url("/v1/journal?limit=500&action="+action+cursor), nil)
		req.Header.Set("Authorization", "Bearer "+sec)
		_, raw, err := contractDo(t, nil, req)
		require.NoError(t, err)
		body := string(raw)
		n += strings.Count(body, `"seq":`)
		i := strings.Index(body, `"next_cursor":"`)
		if i < 0 {
			return n
		}
		cursor = "&cursor=" + strings.Split(body[i+len(`"next_cursor":"`):], `"`)[0]
	}
}
