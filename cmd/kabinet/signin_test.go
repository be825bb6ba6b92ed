package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/readapi"
)

func TestRegistration_AnswersTheFirstSessionsTokens(t *testing.T) {
	ts := startServer(t, nil)
	a := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Ли", "given_names": "Вэй", "citizenship": "CN", "email": "wei.reg@example.com", "consent": consent,
	})
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	assert.EqualValues(t, 900, a.body["expires_in"])
	assert.True(t, strings.HasPrefix(str(a, "refresh_token"), "kbr_"))
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	id, tok := str(a, "account_id"), str(a, "token")
	l := ts.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil)
	require.Equal(t, http.StatusOK, l.status, string(l.raw))
	items := l.body["items"].([]any)
	require.Len(t, items, 1)
	assert.Equal(t, true, items[0].(map[string]any)["current"])
	assert.Equal(t, str(a, "session_id"), items[0].(map[string]any)["session_id"])
}

func TestSignIn_PasswordThenCodeOpensSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		id, _ := ts.citizen("+79161110001")
		a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "8 (916) 111-00-01", "password": goodPassword})
		require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
		assert.Equal(t, "sms", a.body["channel"])
		assert.Equal(t, "+7916*****01", a.body["masked_to"])
		assert.NotEmpty(t, a.body["expires_at"])
		done := ts.do("POST", "/v1/sessions/challenges/"+str(a, "challenge_id"), "", map[string]string{"code": ts.lastCode(id)})
		require.Equal(t, http.StatusCreated, done.status, string(done.raw))
		assert.Equal(t, id, done.body["account_id"])
		assert.EqualValues(t, 900, done.body["expires_in"])
		tok := str(done, "token")
		l := ts.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil)
		require.Equal(t, http.StatusOK, l.status)
		require.Len(t, l.body["items"], 2, "the registration's session and this one")
		again := ts.do("POST", "/v1/sessions/challenges/"+str(a, "challenge_id"), "", map[string]string{"code": ts.lastCode(id)})
		assert.Equal(t, http.StatusGone, again.status, "a challenge opens one session")
	})
}

func TestSignIn_UnknownLoginAndWrongPasswordAnswerAlike(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		ts.citizen("+79161110002")
		_, noPassword := ts.register("+79161110009")
		_ = noPassword
		wrong := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110002", "password": "not-the-password-1"})
		unknown := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161119999", "password": "not-the-password-1"})
		unconfirmed := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110009", "password": "not-the-password-1"})
		assert.Equal(t, http.StatusUnauthorized, wrong.status)
		assert.Equal(t, "invalid_credentials", wrong.body["code"])
		for _, other := range []answer{unknown, unconfirmed} {
			assert.Equal(t, wrong.status, other.status)
			assert.Equal(t, string(wrong.raw), string(other.raw), "the same body byte for byte")
		}
	})
}

func TestSignIn_FiveWrongPasswordsLockForThirtyMinutes(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, clock *fakeClock) {
		id, _ := ts.citizen("+79161110003")
		for i := 0; i < 5; i++ {
			a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110003", "password": "wrong-password-" + string(rune('a'+i))})
			require.Equal(t, http.StatusUnauthorized, a.status, "attempt %d", i+1)
		}
		a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110003", "password": goodPassword})
		assert.Equal(t, http.StatusLocked, a.status, string(a.raw))
		assert.Equal(t, "account_locked", a.body["code"])
		assert.Equal(t, "1800", a.header.Get("Retry-After"))
		clock.Advance(29 * time.Minute)
		assert.Equal(t, http.StatusLocked, ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110003", "password": goodPassword}).status)
		clock.Advance(time.Minute)
		ts.signIn(id, "+79161110003", goodPassword)
	})
}

func TestSignIn_FourWrongThenRightResetsTheCount(t *testing.T) {
	ts := startServer(t, nil)
	id, _ := ts.citizen("+79161110004")
	for round := 0; round < 2; round++ {
		for i := 0; i < 4; i++ {
			ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110004", "password": "wrong-password-x"})
		}
		ts.signIn(id, "+79161110004", goodPassword)
	}
}

func TestSignIn_UnknownLoginLocksAlike(t *testing.T) {
	ts := startServer(t, nil)
	for i := 0; i < 5; i++ {
		require.Equal(t, http.StatusUnauthorized, ts.do("POST", "/v1/sessions", "", map[string]string{"login": "nobody@example.com", "password": "wrong-password-x"}).status)
	}
	a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "NOBODY@example.com", "password": "wrong-password-x"})
	assert.Equal(t, http.StatusLocked, a.status, "a login that names no account locks like one that does")
}

func TestChallenge_ThreeTriesAndExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, clock *fakeClock) {
		id, _ := ts.citizen("+79161110005")
		a := ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110005", "password": goodPassword})
		path := "/v1/sessions/challenges/" + str(a, "challenge_id")
		code := ts.lastCode(id)
		for left := 2; left >= 0; left-- {
			w := ts.do("POST", path, "", map[string]string{"code": wrongCode(code)})
			require.Equal(t, http.StatusUnprocessableEntity, w.status, string(w.raw))
			assert.Equal(t, "code_invalid", w.body["code"])
			assert.EqualValues(t, left, w.body["attempts_left"])
		}
		assert.Equal(t, http.StatusGone, ts.do("POST", path, "", map[string]string{"code": code}).status, "three wrong codes void the challenge")

		a = ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110005", "password": goodPassword})
		clock.Advance(15*time.Minute + time.Second)
		late := ts.do("POST", "/v1/sessions/challenges/"+str(a, "challenge_id"), "", map[string]string{"code": ts.lastCode(id)})
		assert.Equal(t, http.StatusGone, late.status)
		assert.Equal(t, "code_expired", late.body["code"])
		assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/sessions/challenges/nope", "", map[string]string{"code": "123456"}).status)
	})
}

func TestRefresh_RotatesAndReuseEndsTheSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		id, _ := ts.citizen("+79161110006")
		s := ts.signIn(id, "+79161110006", goodPassword)
		r1 := ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(s, "refresh_token")})
		require.Equal(t, http.StatusOK, r1.status, string(r1.raw))
		assert.NotEqual(t, str(s, "refresh_token"), str(r1, "refresh_token"))
		assert.Equal(t, str(s, "session_id"), str(r1, "session_id"))
		require.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/sessions", str(r1, "token"), nil).status)

		reused := ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(s, "refresh_token")})
		assert.Equal(t, http.StatusUnauthorized, reused.status)
		assert.Equal(t, "refresh_reused", reused.body["code"])
		assert.Equal(t, http.StatusUnauthorized, ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(r1, "refresh_token")}).status,
			"the newest refresh token died with its session")
		assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/sessions", str(r1, "token"), nil).status,
			"so did its access token")
		bad := ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": "kbr_made-up"})
		assert.Equal(t, "refresh_invalid", bad.body["code"])
	})
}

func TestLogout_EndsTheSessionAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		id, regTok := ts.citizen("+79161110007")
		s := ts.signIn(id, "+79161110007", goodPassword)
		tok := str(s, "token")
		require.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil).status)
		assert.Equal(t, http.StatusNoContent, ts.do("DELETE", "/v1/sessions/current", tok, nil).status)
		assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/sessions", tok, nil).status)
		assert.Equal(t, http.StatusUnauthorized, ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(s, "refresh_token")}).status)
		assert.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/sessions", regTok, nil).status, "other sessions go on")
		assert.Equal(t, http.StatusUnauthorized, ts.do("DELETE", "/v1/sessions/current", "", nil).status)
		op, _ := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
		assert.Equal(t, http.StatusNotFound, ts.do("DELETE", "/v1/sessions/current", op, nil).status, "a token of no session")
	})
}

func TestSetPassword_WrongCurrentPasswordsCountTowardsTheLock(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.citizen("+79161110015")
	path := "/v1/accounts/" + id + "/password"
	for i := 0; i < 5; i++ {
		a := ts.do("PUT", path, tok, map[string]string{"password": "another-good-pass-42", "current_password": "guess-number-" + string(rune('a'+i))})
		require.Equal(t, "current_password_wrong", a.body["code"], string(a.raw))
	}
	a := ts.do("PUT", path, tok, map[string]string{"password": "another-good-pass-42", "current_password": goodPassword})
	assert.Equal(t, http.StatusLocked, a.status, "a stolen access token cannot guess the password either")
	assert.Equal(t, "account_locked", ts.do("POST", "/v1/sessions", "", map[string]string{"login": "+79161110015", "password": goodPassword}).body["code"])
}

func TestSessions_ListAndRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		id, regTok := ts.citizen("+79161110008")
		other, otherTok := ts.citizen("+79161110010")
		s := ts.signIn(id, "+79161110008", goodPassword)
		l := ts.do("GET", "/v1/accounts/"+id+"/sessions", str(s, "token"), nil, "User-Agent", "ua-"+strings.Repeat("é", 200))
		require.Equal(t, http.StatusOK, l.status)
		items := l.body["items"].([]any)
		require.Len(t, items, 2)
		var current int
		for _, it := range items {
			m := it.(map[string]any)
			for _, k := range []string{"session_id", "created_at", "last_used_at", "user_agent"} {
				assert.Contains(t, m, k)
			}
			assert.LessOrEqual(t, len(m["user_agent"].(string)), 256)
			if m["current"] == true {
				current++
				assert.Equal(t, str(s, "session_id"), m["session_id"])
			}
		}
		assert.Equal(t, 1, current)

		assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/sessions", otherTok, nil).status, "another citizen learns nothing")
		op, _ := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
		assert.Equal(t, http.StatusNotFound, ts.do("GET", "/v1/accounts/"+id+"/sessions", op, nil).status, "staff do not see sessions")
		assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/sessions", "", nil).status)
		assert.Equal(t, http.StatusNotFound, ts.do("DELETE", "/v1/accounts/"+other+"/sessions/"+str(s, "session_id"), otherTok, nil).status,
			"a session of another account is not found")
		assert.Equal(t, http.StatusNotFound, ts.do("DELETE", "/v1/accounts/"+id+"/sessions/"+str(s, "session_id"), otherTok, nil).status)

		assert.Equal(t, http.StatusNoContent, ts.do("DELETE", "/v1/accounts/"+id+"/sessions/"+str(s, "session_id"), regTok, nil).status)
		assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/sessions", str(s, "token"), nil).status)
		gone := ts.do("DELETE", "/v1/accounts/"+id+"/sessions/"+str(s, "session_id"), regTok, nil)
		assert.Equal(t, http.StatusNotFound, gone.status)
		assert.Equal(t, "session_not_found", gone.body["code"])
	})
}

func TestSessions_IdleAndAbsoluteLimits(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, clock *fakeClock) {
		id, _ := ts.citizen("+79161110011")
		idle := ts.signIn(id, "+79161110011", goodPassword)
		used := ts.signIn(id, "+79161110011", goodPassword)
		clock.Advance(14 * time.Minute)
		require.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/sessions", str(used, "token"), nil).status, "a use")
		clock.Advance(16*time.Minute + time.Second)
		r := ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(idle, "refresh_token")})
		assert.Equal(t, http.StatusUnauthorized, r.status, "30 minutes without use end a session")
		assert.Equal(t, "refresh_invalid", r.body["code"])
		r = ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(used, "refresh_token")})
		require.Equal(t, http.StatusOK, r.status, "a use with the access token counts: %s", r.raw)

		for elapsed := 30 * time.Minute; elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			clock.Advance(20 * time.Minute)
			r = ts.do("POST", "/v1/sessions/refresh", "", map[string]string{"refresh_token": str(r, "refresh_token")})
			require.Equal(t, http.StatusOK, r.status, "at %s: %s", elapsed, r.raw)
		}
		last := str(r, "token")
		clock.Advance(12*time.Hour - (30*time.Minute + 34*20*time.Minute) + time.Second)
		assert.Equal(t, http.StatusUnauthorized, ts.do("GET", "/v1/accounts/"+id+"/sessions", last, nil).status,
			"12 hours after sign-in the session ends, though its access token has not expired")
	})
}

func TestSetPassword_RulesAndCurrentPassword(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer, _ *fakeClock) {
		id, tok := ts.register("+79161110012")
		path := "/v1/accounts/" + id + "/password"
		for pw, reason := range map[string]string{"short1!": "too_short", "iloveyou1": "common", "my-79161110012": "contains_contact"} {
			a := ts.do("PUT", path, tok, map[string]string{"password": pw})
			assert.Equal(t, http.StatusUnprocessableEntity, a.status, pw)
			assert.Equal(t, "password_weak", a.body["code"])
			assert.Equal(t, reason, a.body["reason"], pw)
		}
		require.Equal(t, http.StatusOK, ts.do("PUT", path, tok, map[string]string{"password": goodPassword}).status)
		a := ts.do("PUT", path, tok, map[string]string{"password": "another-good-pass-42"})
		assert.Equal(t, "current_password_required", a.body["code"])
		a = ts.do("PUT", path, tok, map[string]string{"password": "another-good-pass-42", "current_password": "wrong-one-123"})
		assert.Equal(t, "current_password_wrong", a.body["code"])
		a = ts.do("PUT", path, tok, map[string]string{"password": "another-good-pass-42", "current_password": goodPassword})
		require.Equal(t, http.StatusOK, a.status, string(a.raw))

		other, otherTok := ts.register("+79161110013")
		_ = other
		assert.Equal(t, http.StatusNotFound, ts.do("PUT", path, otherTok, map[string]string{"password": goodPassword}).status)
		op, _ := ts.app.Issuer.Mint(principal("op-1", "operator", ""), time.Hour)
		assert.Equal(t, http.StatusNotFound, ts.do("PUT", path, op, map[string]string{"password": goodPassword}).status)
		assert.Equal(t, http.StatusUnauthorized, ts.do("PUT", path, "", map[string]string{"password": goodPassword}).status)
		bad := ts.do("PUT", path, tok, `{"password":`)
		assert.Equal(t, "malformed_json", bad.body["code"])
		bad = ts.do("PUT", path, tok, map[string]string{"password": goodPassword, "role": "admin"})
		assert.Equal(t, "unknown_field", bad.body["code"])

		aud, _ := ts.app.Issuer.Mint(principal("aud-1", "auditor", ""), time.Hour)
		h := ts.do("GET", "/v1/accounts/"+id+"/history", aud, nil)
		require.Equal(t, http.StatusOK, h.status)
		var types []string
		for _, it := range h.body["items"].([]any) {
			m := it.(map[string]any)
			types = append(types, m["type"].(string))
			if strings.HasPrefix(m["type"].(string), "Password") {
				data, _ := json.Marshal(m["data"])
				assert.NotContains(t, string(data), "argon2", "an event says only that a password was set")
				assert.NotContains(t, string(data), goodPassword)
			}
		}
		assert.Contains(t, types, "PasswordSet")
		assert.Contains(t, types, "PasswordChanged")
	})
}

func TestSignIn_BadInput(t *testing.T) {
	ts := startServer(t, nil)
	for body, code := range map[string]string{
		`{"login":"+79161110014"}`:                  "validation_failed",
		`{"password":"x"}`:                          "validation_failed",
		`{"login":1,"password":"x"}`:                "malformed_json",
		`{"login":"a","password":"b","extra":true}`: "unknown_field",
		`not json`: "malformed_json",
	} {
		a := ts.do("POST", "/v1/sessions", "", body)
		assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"), body)
		assert.Equal(t, code, a.body["code"], body)
	}
	for _, path := range []string{"/v1/password-resets", "/v1/password-resets/confirm", "/v1/sessions/refresh"} {
		a := ts.do("POST", path, "", `{"nope":1}`)
		assert.Equal(t, http.StatusBadRequest, a.status, path)
	}
}

// TestOpenAPI_SignInRoutesDeclareTheirSecurity: the public sign-in routes
// say security: [], the others ask for a bearer token.
func TestOpenAPI_SignInRoutesDeclareTheirSecurity(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]map[string][]string `json:"security"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(readapi.OpenAPI(), &doc))
	for route, public := range map[string]bool{
		"POST /v1/sessions": true, "POST /v1/sessions/challenges/{challenge_id}": true, "POST /v1/sessions/refresh": true,
		"POST /v1/password-resets": true, "POST /v1/password-resets/confirm": true,
		"DELETE /v1/sessions/current": false, "PUT /v1/accounts/{id}/password": false, "GET /v1/accounts/{id}/sessions": false,
		"DELETE /v1/accounts/{id}/sessions/{session_id}": false, "POST /v1/accounts/{id}/totp": false, "POST /v1/accounts/{id}/totp/confirm": false,
	} {
		method, path, _ := strings.Cut(route, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)]
		require.True(t, ok, route)
		require.NotNil(t, op.Security, "%s declares its security", route)
		if public {
			assert.Empty(t, *op.Security, route)
		} else {
			assert.Equal(t, []map[string][]string{{"bearer": {}}}, *op.Security, route)
		}
	}
}

func TestConfig_Argon2ParametersMayBeRaisedNotWeakened(t *testing.T) {
	c, _, err := parseConfig("serve", []string{"--argon2-memory", "65536", "--argon2-time", "3"})
	require.NoError(t, err)
	assert.EqualValues(t, 65536, c.Argon2.Memory)
	assert.EqualValues(t, 3, c.Argon2.Time)
	assert.EqualValues(t, 1, c.Argon2.Threads)
	for _, args := range [][]string{
		{"--argon2-memory", "1024"}, {"--argon2-memory", "7168", "--argon2-time", "1"},
		{"--argon2-time", "0"}, {"--argon2-threads", "0"}, {"--argon2-memory", "lots"},
	} {
		_, _, err := parseConfig("serve", args)
		assert.Error(t, err, "%v", args)
	}
}
