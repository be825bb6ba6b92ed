package auth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
)

// sessionSet answers Active from a set of live session ids and counts the
// questions.
type sessionSet struct {
	live  map[string]bool
	asked int
	err   error
}

func (s *sessionSet) Active(_ context.Context, sid string) (bool, error) {
	s.asked++
	return s.live[sid], s.err
}

func withSession(p auth.Principal, sid string) auth.Principal {
	p.SessionID, p.TokenID = sid, "jti-"+sid
	return p
}

func TestGuard_SessionsRefuseATokenOfAnEndedSession(t *testing.T) {
	var denied []denial
	g := recordingGuard(&denied)
	sessions := &sessionSet{live: map[string]bool{"s-live": true}}
	g.Sessions = sessions
	h := g.Authenticate(verifier())(whoami)

	assert.Equal(t, http.StatusOK, serve(h, "Bearer "+mint(t, withSession(citizen(), "s-live"))).Code)
	rec := serve(h, "Bearer "+mint(t, withSession(citizen(), "s-ended")))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "unauthorized", problemCode(t, rec))
	assert.Equal(t, `Bearer realm="kabinet", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
	assert.Equal(t, []denial{{401, auth.ReasonSessionEnded}}, denied)

	assert.Equal(t, http.StatusOK, serve(h, "Bearer "+mint(t, operator())).Code, "a token without sid is not asked about")
	assert.Equal(t, 2, sessions.asked)
}

func TestGuard_SessionsFailureIs500(t *testing.T) {
	g := auth.NewGuard()
	g.Sessions = &sessionSet{err: errors.New("database down")}
	rec := serve(g.Authenticate(verifier())(whoami), "Bearer "+mint(t, withSession(citizen(), "s-1")))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
}

func TestToken_CarriesSidAndJti(t *testing.T) {
	p, err := auth.NewVerifier(secret, fixedClock(now)).Verify(mint(t, withSession(citizen(), "s-9")))
	require.NoError(t, err)
	assert.Equal(t, "s-9", p.SessionID)
	assert.Equal(t, "jti-s-9", p.TokenID)
}
