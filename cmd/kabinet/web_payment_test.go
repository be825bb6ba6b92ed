package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

// applicantBrowser is a browser holding p's session, as the sign-in page
// would have left it, that reads its own writes up to the answer after.
func applicantBrowser(t *testing.T, ts *testServer, p applicant, after answer) *browser {
	b := newBrowser(t, ts)
	u, err := url.Parse(ts.srv.URL)
	require.NoError(t, err)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "kabinet_token", Value: p.token, Path: "/"},
		{Name: "kabinet_account", Value: p.id, Path: "/"}, {Name: "kabinet_position", Value: position(after), Path: "/"}})
	return b
}

func TestWebPayment_TheFeeIsPaidThroughTheTestGatewayOnce(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79160000901")
	sub := ts.submit(p, domain.ServicePatent)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	b := applicantBrowser(t, ts, p, sub)

	page := b.get("/applications/" + app)
	require.Equal(t, http.StatusOK, page.status, page.body)
	assert.Contains(t, page.body, "Госпошлина")
	assert.Contains(t, page.body, `href="/applications/`+app+`/pay"`, "an application awaiting payment links the payment")

	checkout := b.get("/applications/" + app + "/pay")
	require.Equal(t, http.StatusOK, checkout.status, checkout.body)
	assert.Contains(t, checkout.body, "тестовый платёжный шлюз", "the page says no money moves")
	paid := b.post("/applications/"+app+"/pay", nil)
	require.Equal(t, http.StatusSeeOther, paid.status, paid.body)
	assert.Equal(t, "/applications/"+app, paid.header.Get("Location"))

	after := b.get("/applications/" + app)
	require.Equal(t, http.StatusOK, after.status, after.body)
	assert.NotContains(t, after.body, `href="/applications/`+app+`/pay"`, "nothing is left to pay")
	assert.Contains(t, after.body, "test-", "the payment's transaction is listed")
	assert.NotEqual(t, domain.StatusAwaitingPayment, ts.appState(p.id, app).Status)

	again := b.post("/applications/"+app+"/pay", nil)
	assert.Equal(t, http.StatusConflict, again.status, "a paid fee is not charged again")
	assert.Contains(t, again.body, "нечего оплачивать")
	assert.Len(t, ts.appState(p.id, app).Payments, 1)
}

func TestWebPayment_OnlyTheApplicantPaysAndOnlyFromThisSite(t *testing.T) {
	ts := startServer(t, nil)
	owner := ts.confirmedApplicant("+79160000902")
	sub := ts.submit(owner, domain.ServicePatent)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)

	anon := newBrowser(t, ts)
	assert.Equal(t, "/signin", anon.get("/applications/"+app+"/pay").header.Get("Location"))
	assert.Equal(t, "/signin", anon.post("/applications/"+app+"/pay", nil).header.Get("Location"))

	other := applicantBrowser(t, ts, ts.confirmedApplicant("+79160000903"), sub)
	page := other.get("/applications/" + app + "/pay")
	assert.Equal(t, http.StatusNotFound, page.status, "another citizen learns nothing of the application")
	assert.NotContains(t, page.body, sub.body["number"])
	assert.Equal(t, http.StatusNotFound, other.post("/applications/"+app+"/pay", nil).status)
	assert.Equal(t, http.StatusNotFound, other.get("/applications/not-a-uuid/pay").status)

	b := applicantBrowser(t, ts, owner, sub)
	assert.Equal(t, http.StatusForbidden, b.post("/applications/"+app+"/pay", nil, "Sec-Fetch-Site", "cross-site").status)
	assert.Empty(t, ts.appState(owner.id, app).Payments, "no refused request paid anything")
	assert.Equal(t, domain.StatusAwaitingPayment, ts.appState(owner.id, app).Status)
}
