package main

import (
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestPasswordReset_CodeSetsPasswordAndEndsEverySession(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		id, regTok := ts.citizen("+79162220001")
		s := ts.signIn(id, "+79162220001", goodPassword)
		a := ts.do("POST", "/v1/password-resets", "", map[string]string{"login": "+7 916 222-00-01"})
		require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
		unknown := ts.do("POST", "/v1/password-resets", "", map[string]string{"login": "+79162229999"})
		assert.Equal(t, a.status, unknown.status)
		assert.Equal(t, string(a.raw), string(unknown.raw), "the same answer whether the login exists")
		code := ts.lastCode(id)

		weak := ts.do("POST", "/v1/password-resets/confirm", "", map[string]string{"login": "+79162220001", "code": code, "new_password": "password1"})
		assert.Equal(t, "password_weak", weak.body["code"])
		wrong := ts.do("POST", "/v1/password-resets/confirm", "", map[string]string{"login": "+79162220001", "code": wrongCode(code), "new_password": "fresh-start-2024"})
		wrongUnknown := ts.do("POST", "/v1/password-resets/confirm", "", map[string]string{"login": "+79162229999", "code": wrongCode(code), "new_password": "fresh-start-2024"})
		assert.Equal(t, http.StatusUnprocessableEntity, wrong.status)
		assert.Equal(t, string(wrong.raw), string(wrongUnknown.raw), "a wrong code answers alike for an unknown login")

		ok := ts.do("POST", "/v1/password-resets/confirm", "", map[string]string{"login": "+79162220001", "code": code, "new_password": "fresh-start-2024"})
		require.Equal(t, http.StatusOK, ok.status, string(ok.raw))
		assert.Equal(t, id, ok.body["account_id"])
		for _, tok := range []string{regTok, str(s, "token")} {
			assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil).status, "every session ended")
		}
		again := ts.do("POST", "/v1/password-resets/confirm", "", map[string]string{"login": "+79162220001", "code": code, "new_password": "fresh-start-2025"})
		assert.Equal(t, "code_expired", again.body["code"], "a code works once")
		assert.Equal(t, http.StatusUnauthorized, ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79162220001", "password": goodPassword}).status)
		ts.signIn(id, "+79162220001", "fresh-start-2024")
	})
}

func TestCodeLimit_FiveCodesAnHourToOneDestination(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, clock *fakeClock) {
		victim := "+79162220002"
		id, tok := ts.register(victim)
		for i := 0; i < 5; i++ {
			a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil)
			require.Equal(t, http.StatusAccepted, a.status, "code %d: %s", i+1, a.raw)
			clock.Advance(61 * time.Second)
		}
		a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil)
		assert.Equal(t, http.StatusTooManyRequests, a.status, string(a.raw))
		assert.Equal(t, "too_many_codes", a.body["code"])
		assert.NotEmpty(t, a.header.Get("Retry-After"))

		other, otherTok := ts.register("8 916 222-00-02")
		a = ts.do("POST", "/v1/accounts/"+other+"/contacts/phone/code", otherTok, nil)
		assert.Equal(t, "too_many_codes", a.body["code"], "whichever account asks")
		a = ts.do("POST", "/v1/password-resets", "", map[string]string{"login": victim})
		assert.Equal(t, "too_many_codes", a.body["code"], "recovery codes count too")

		clock.Advance(time.Hour - 5*61*time.Second + time.Second)
		third, thirdTok := ts.register(victim)
		a = ts.do("POST", "/v1/accounts/"+third+"/contacts/phone/code", thirdTok, nil)
		assert.Equal(t, http.StatusAccepted, a.status, "the window slides: %s", a.raw)
	})
}

func TestCodeLimit_SignInCodesCount(t *testing.T) {
	ts := startServer(t, nil)
	id, _ := ts.citizen("+79162220003") // one code: the confirmation
	for i := 0; i < 4; i++ {
		ts.signIn(id, "+79162220003", goodPassword)
	}
	a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79162220003", "password": goodPassword})
	assert.Equal(t, http.StatusTooManyRequests, a.status, string(a.raw))
	assert.Equal(t, "too_many_codes", a.body["code"])
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return c
}

func TestTotp_EnrolledAppReplacesTheSmsCode(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, clock *fakeClock) {
		id, tok := ts.citizen("+79162220004")
		other, otherTok := ts.citizen("+79162220005")
		_ = other
		assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/accounts/"+id+"/totp", otherTok, nil).status)
		assert.Equal(t, http.StatusUnauthorized, ts.do("POST", "/v1/accounts/"+id+"/totp", "", nil).status)

		e := ts.do("POST", "/v1/accounts/"+id+"/totp", tok, nil)
		require.Equal(t, http.StatusCreated, e.status, string(e.raw))
		secret := str(e, "secret")
		assert.True(t, strings.HasPrefix(str(e, "otpauth_url"), "otpauth://totp/Kabinet:"))
		bad := ts.do("POST", "/v1/accounts/"+id+"/totp/confirm", tok, map[string]string{"code": wrongCode(totpCode(t, secret, clock.Now()))})
		assert.Equal(t, "code_invalid", bad.body["code"])
		assert.EqualValues(t, 2, bad.body["attempts_left"])
		c := ts.do("POST", "/v1/accounts/"+id+"/totp/confirm", tok, map[string]string{"code": totpCode(t, secret, clock.Now())})
		require.Equal(t, http.StatusOK, c.status, string(c.raw))
		assert.Equal(t, "totp_already_enrolled", ts.do("POST", "/v1/accounts/"+id+"/totp", tok, nil).body["code"])

		smsBefore := ts.lastCode(id)
		a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79162220004", "password": goodPassword})
		require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
		assert.Equal(t, "totp", a.body["channel"])
		assert.Nil(t, a.body["masked_to"])
		assert.Equal(t, smsBefore, ts.lastCode(id), "no SMS was sent")
		clock.Advance(31 * time.Second)
		done := ts.do("POST", "/v1/sessions/challenges/"+str(a, "challenge_id"), "", map[string]string{"code": totpCode(t, secret, clock.Now())})
		require.Equal(t, http.StatusCreated, done.status, string(done.raw))

		aud, _ := ts.app.Issuer.Mint(principal("aud-1", "auditor", ""), time.Hour)
		h := ts.do("GET", "/v1/accounts/"+id+"/history", aud, nil)
		assert.NotContains(t, string(h.raw), secret, "the secret is in no event")
		assert.Contains(t, string(h.raw), "TotpEnrolled")
	})
}

// TestSessions_RevocationIsSeenBySecondInstance runs two Apps over one
// PostgreSQL: a session ended on one is refused by the other once its
// cache (at most a second) is past.
func TestSessions_RevocationIsSeenBySecondInstance(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	skey, _, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	require.NoError(t, err)
	t.Setenv("KABINET_JWT_SECRET", strings.Repeat("s", 40))
	t.Setenv("KABINET_HMAC_KEY", strings.Repeat("h", 40))
	t.Setenv("KABINET_JOURNAL_KEY", skey)
	env := map[string]string{"eventstore": dsn, "readstore": dsn}
	clockA, clockB := newFakeClock(), newFakeClock()
	a := startClocked(t, env, clockA)
	b := startClocked(t, env, clockB)

	id, _ := a.citizen("+79162220006")
	s := a.signIn(id, "+79162220006", goodPassword)
	tok := str(s, "token")
	require.Equal(t, http.StatusOK, b.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil).status, "b accepts a's session")
	require.Equal(t, http.StatusNoContent, a.do("DELETE", "/v1/sessions/current", tok, nil).status)
	assert.Equal(t, http.StatusUnauthorized, a.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil).status, "a at once")
	clockB.Advance(time.Second)
	assert.Equal(t, http.StatusUnauthorized, b.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil).status, "b within a second")

	s2 := b.signIn(id, "+79162220006", goodPassword)
	r := b.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(s2, "refresh_token")})
	require.Equal(t, http.StatusOK, r.status)
	reused := a.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(s2, "refresh_token")})
	assert.Equal(t, "refresh_reused", reused.body["code"], "reuse is seen across instances")
	clockB.Advance(time.Second)
	assert.Equal(t, http.StatusUnauthorized, b.do("GET", "/v1/accounts/"+id+"/sessions", str(r, "token"), nil).status)
}

func TestJournal_SignInSuccessFailureAndLock(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		id, _ := ts.citizen("+79162220007")
		ts.signIn(id, "+79162220007", goodPassword)
		for i := 0; i < 5; i++ {
			ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79162220007", "password": "wrong-password-q"})
		}
		ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79162220007", "password": goodPassword})
		ts.do("POST", "/v1/sessions", "", map[string]string{"login": "ghost@example.com", "password": "wrong-password-q"})
		sec, _ := ts.app.Issuer.Mint(principal("sec-1", "security", ""), time.Hour)
		want := map[string]int{
			"SignIn/done": 1, "CompleteSignIn/done": 1, "SignIn/refused/invalid_credentials": 5,
			"SignInLocked/done": 1, "SignIn/refused/account_locked": 1, "SetPassword/done": 1,
		}
		got := map[string]int{}
		require.Eventually(t, func() bool {
			clear(got)
			for _, e := range journalItems(t, ts, sec, "&account_id="+id) {
				k := e["action"].(string) + "/" + e["outcome"].(string)
				if r, _ := e["reason"].(string); r != "" && e["outcome"] != "done" {
					k += "/" + r
				}
				got[k]++
			}
			for k, n := range want {
				if got[k] != n {
					return false
				}
			}
			return true
		}, 10*time.Second, 50*time.Millisecond, "journal: %v", got)
		assert.Eventually(t, func() bool {
			anonymous := 0
			for _, e := range journalItems(t, ts, sec, "&action=SignIn&outcome=refused") {
				if e["account_id"] == nil || e["account_id"] == "" {
					anonymous++
				}
			}
			return anonymous == 1
		}, 10*time.Second, 50*time.Millisecond, "an unknown login's failure is journaled too")
	})
}
