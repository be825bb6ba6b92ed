package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

func TestApplications_AnUnpaidFeeTimesOutAfter30DaysAndTheCitizenIsTold(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79160000091")
	sub := ts.submit(p, domain.ServicePatent)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	require.Equal(t, domain.StatusAwaitingPayment, ts.appState(p.id, app).Status)

	ctx := t.Context()
	require.NoError(t, ts.app.Scheduler.RunAt(ctx, time.Now().Add(domain.UnpaidFeeTimeout-time.Hour)))
	assert.Equal(t, domain.StatusAwaitingPayment, ts.appState(p.id, app).Status, "29 days and 23 hours: still payable")
	require.NoError(t, ts.app.Scheduler.RunAt(ctx, time.Now().Add(domain.UnpaidFeeTimeout+time.Minute)))
	s := ts.appState(p.id, app)
	require.Equal(t, domain.StatusRejected, s.Status)
	last := s.History[len(s.History)-1]
	assert.Equal(t, []string{"fee_not_paid"}, last.Reasons)
	assert.Equal(t, "system", last.ByRole)

	require.Eventually(t, func() bool {
		page := items(ts.do("GET", "/v1/accounts/"+p.id+"/notifications?limit=1", p.token, nil))
		return len(page) == 1 && page[0]["event"] == "ApplicationRejected"
	}, 5*time.Second, 20*time.Millisecond)
	page := items(ts.do("GET", "/v1/accounts/"+p.id+"/notifications?limit=1", p.token, nil))
	assert.Contains(t, page[0]["text"], "госпошлина не оплачена")

	pay := ts.pay(app, float64(s.Fee.Amount), "gw-late")
	assert.Equal(t, http.StatusUnprocessableEntity, pay.status, "a late payment finds the application rejected: %s", pay.raw)
}
