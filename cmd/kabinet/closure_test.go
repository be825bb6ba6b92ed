package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/journal"
)

func TestClosure_OwnerClosesPendingApplicationsAreWithdrawnAndCommandsRefused(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79129990001")
	s := ts.submit(p, domain.ServiceArrivalNotification)
	require.Equal(t, http.StatusCreated, s.status, string(s.raw))
	app := s.body["application_id"].(string)

	a := ts.do("POST", "/v1/accounts/"+p.id+"/closure", p.token, nil)
	require.Equal(t, http.StatusAccepted, a.status, string(a.raw))
	require.NotEmpty(t, position(a))

	st := ts.appState(p.id, app)
	assert.Equal(t, domain.StatusWithdrawn, st.Status, "the pending application was withdrawn")
	r := ts.do("PUT", "/v1/accounts/"+p.id+"/notification-preferences", p.token,
		map[string]any{"email": true, "sms": true, "push": false, "frequency": "immediate"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Equal(t, "account_closed", r.body["code"], string(r.raw))
	again := ts.do("POST", "/v1/accounts/"+p.id+"/closure", p.token, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, again.status)
	assert.Equal(t, "account_closed", again.body["code"])
	op := ts.do("POST", "/v1/applications/"+app+"/accept", ts.operatorToken(), nil)
	assert.Equal(t, http.StatusUnprocessableEntity, op.status, "operators cannot act on a closed account either")

	// The closure and the refusals are journaled.
	sec := ts.staffToken("security", "sec-1")
	require.Eventually(t, func() bool {
		var closed, refused bool
		for _, e := range journalItems(t, ts, sec, "&account_id="+p.id) {
			closed = closed || (e["action"] == "CloseAccount" && e["outcome"] == string(journal.Done))
			refused = refused || (e["outcome"] == string(journal.Refused) && e["reason"] == "account_closed")
		}
		return closed && refused
	}, 10*time.Second, 50*time.Millisecond)
}

func TestClosure_OnlyTheOwnerCloses(t *testing.T) {
	ts := startServer(t, nil)
	id, _ := ts.register("+79129990002")
	_, otherTok := ts.register("+79129990003")
	path := "/v1/accounts/" + id + "/closure"
	assert.Equal(t, http.StatusUnauthorized, ts.do("POST", path, "", nil).status)
	for _, tok := range []string{otherTok, ts.operatorToken(), ts.staffToken("admin", "adm"), ts.staffToken("auditor", "aud")} {
		a := ts.do("POST", path, tok, nil)
		assert.Equal(t, http.StatusNotFound, a.status, "someone else learns nothing of the account")
		assert.Equal(t, "application/problem+json", a.header.Get("Content-Type"))
	}
	assert.Equal(t, http.StatusNotFound, ts.do("POST", "/v1/accounts/x/closure", otherTok, nil).status)
	acc, err := ts.app.Commands.CloseAccount.Handle(context.Background(), commandsCloseFor(id))
	require.NoError(t, err, "the consent withdrawal path closes through the same command")
	assert.Positive(t, acc.Position)
	a, err := ts.app.Commands.ErasePersonalData.Handle(context.Background(), eraseFor(id))
	require.NoError(t, err)
	assert.Greater(t, a.Position, acc.Position)
}

func commandsCloseFor(id string) commands.CloseAccount {
	return commands.CloseAccount{AccountID: uuid.MustParse(id), Reason: domain.ClosedConsentWithdrawn}
}

func eraseFor(id string) commands.ErasePersonalData {
	return commands.ErasePersonalData{AccountID: uuid.MustParse(id), Reason: "test"}
}
