package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth/oidctest"
	"github.com/kabinet/kabinet/platform/journal"
)

// staffServer is a server whose staff sign in through the provider double.
func staffServer(t *testing.T) (*testServer, *oidctest.ProviderDouble) {
	t.Helper()
	idp := oidctest.NewProviderDouble(t)
	return startServer(t, map[string]string{"oidc-issuer": idp.Issuer(), "oidc-audience": "kabinet"}), idp
}

// getURL fetches an absolute URL with the browser's cookies.
func (b *browser) getURL(u string) page {
	b.t.Helper()
	resp, err := b.client.Get(u)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// authorizeURL starts a staff sign-in and returns the provider's
// authorization URL it redirects to.
func (b *browser) authorizeURL() *url.URL {
	b.t.Helper()
	p := b.get("/staff/signin")
	require.Equal(b.t, http.StatusFound, p.status, p.body)
	u, err := url.Parse(p.header.Get("Location"))
	require.NoError(b.t, err)
	return u
}

// staffSignIn signs the browser in as sub with role through the provider:
// /staff/signin, the provider's authorization endpoint, /staff/callback.
func (b *browser) staffSignIn(idp *oidctest.ProviderDouble, sub, role string) {
	b.t.Helper()
	idp.SignInAs(idp.StaffClaims(sub, role, "kabinet"))
	back := b.getURL(b.authorizeURL().String())
	require.Equal(b.t, http.StatusFound, back.status, back.body)
	p := b.getURL(back.header.Get("Location"))
	require.Equal(b.t, http.StatusOK, p.status, p.body)
	require.Contains(b.t, p.body, `http-equiv="refresh"`)
}

func TestWebStaff_SignInStartsTheCodeFlowWithPKCE(t *testing.T) {
	ts, idp := staffServer(t)
	b := newBrowser(t, ts)
	p := b.get("/staff/signin")
	require.Equal(t, http.StatusFound, p.status)
	u, err := url.Parse(p.header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, idp.Issuer()+"/authorize", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "kabinet", q.Get("client_id"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.NotEmpty(t, q.Get("code_challenge"))
	assert.NotEmpty(t, q.Get("state"))
	assert.NotEmpty(t, q.Get("nonce"))
	assert.Equal(t, ts.srv.URL+"/staff/callback", q.Get("redirect_uri"))
	assert.Contains(t, q.Get("scope"), "openid")
	var flow string
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "kabinet_staff_flow=") {
			flow = c
		}
	}
	require.NotEmpty(t, flow)
	assert.Contains(t, flow, "HttpOnly")
	assert.Contains(t, flow, "SameSite=Lax")
	assert.Contains(t, flow, "Path=/staff")
	assert.NotContains(t, flow, q.Get("code_challenge"), "the cookie holds the verifier, the provider sees only its challenge")

	b.staffSignIn(idp, "op-web-1", "operator")
	var session string
	jarURL, _ := url.Parse(ts.srv.URL + "/staff/queue")
	for _, c := range b.client.Jar.Cookies(jarURL) {
		if c.Name == "kabinet_staff" {
			session = c.Value
		}
	}
	require.NotEmpty(t, session, "the session is the ID token")
	a := ts.do("GET", "/v1/operator/queue", session, nil)
	assert.Equal(t, http.StatusOK, a.status, "the API takes the session's ID token as the operator's bearer token")
	p = b.get("/staff")
	assert.Equal(t, "/staff/queue", p.header.Get("Location"))
	p = b.get("/staff/queue")
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.Contains(t, p.body, "op-web-1")

	p = b.post("/staff/signout", nil)
	assert.Equal(t, http.StatusSeeOther, p.status)
	assert.Equal(t, "/staff/signin", b.get("/staff/queue").header.Get("Location"), "signed out")
}

func TestWebStaff_TheSessionCookieIsStrictAndHttpOnly(t *testing.T) {
	ts, idp := staffServer(t)
	b := newBrowser(t, ts)
	idp.SignInAs(idp.StaffClaims("op-web-2", "operator", "kabinet"))
	back := b.getURL(b.authorizeURL().String())
	p := b.getURL(back.header.Get("Location"))
	require.Equal(t, http.StatusOK, p.status, p.body)
	var session string
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "kabinet_staff=") {
			session = c
		}
	}
	require.NotEmpty(t, session)
	assert.Contains(t, session, "HttpOnly")
	assert.Contains(t, session, "SameSite=Strict")
	assert.Contains(t, session, "Path=/staff")
}

func TestWebStaff_PagesAskToSignInWithoutAStaffSession(t *testing.T) {
	ts, _ := staffServer(t)
	b := newBrowser(t, ts)
	paths := []string{"/staff", "/staff/queue", "/staff/queue?kind=identity", "/staff/cases/" + uuid.NewString(),
		"/staff/audit", "/staff/audit/" + uuid.NewString(), "/staff/journal", "/staff/journal/verify"}
	for _, path := range paths {
		p := b.get(path)
		assert.Equal(t, http.StatusSeeOther, p.status, path)
		assert.Equal(t, "/staff/signin", p.header.Get("Location"), path)
	}

	// A citizen signed in to the cabinet is no member of staff, even with
	// their token in the staff cookie.
	id, tok := ts.register("+79123458001")
	u, _ := url.Parse(ts.srv.URL + "/staff")
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "kabinet_staff", Value: tok, Path: "/staff"}})
	root, _ := url.Parse(ts.srv.URL + "/")
	b.client.Jar.SetCookies(root, []*http.Cookie{{Name: "kabinet_token", Value: tok, Path: "/"}, {Name: "kabinet_account", Value: id, Path: "/"}})
	require.Eventually(t, func() bool { return b.get("/cabinet").status == http.StatusOK }, 10*time.Second, 50*time.Millisecond,
		"the citizen's own session works")
	for _, path := range paths {
		p := b.get(path)
		assert.Equal(t, "/staff/signin", p.header.Get("Location"), path)
	}
}

func TestWebStaff_EachRoleOpensOnlyItsOwnPages(t *testing.T) {
	ts, idp := staffServer(t)
	account, _ := ts.register("+79123458002")
	pages := map[string][]string{
		"operator": {"/staff/queue", "/staff/queue?kind=identity"},
		"auditor":  {"/staff/audit", "/staff/audit/" + account},
		"security": {"/staff/journal", "/staff/journal/verify"},
	}
	for role, own := range pages {
		b := newBrowser(t, ts)
		b.staffSignIn(idp, role+"-web", role)
		for _, path := range own {
			p := b.get(path)
			if path == "/staff/audit/"+account { // the history waits for nothing: retry while the account is new
				require.Eventually(t, func() bool { p = b.get(path); return p.status == http.StatusOK }, 5*time.Second, 50*time.Millisecond)
			}
			assert.Equal(t, http.StatusOK, p.status, "%s opens %s: %s", role, path, p.body)
		}
		for other, theirs := range pages {
			if other == role {
				continue
			}
			for _, path := range theirs {
				p := b.get(path)
				assert.Equal(t, http.StatusForbidden, p.status, "%s opens %s", role, path)
				assert.Contains(t, p.body, "Доступ запрещён", "%s opens %s", role, path)
			}
		}
	}
}

func TestWebStaff_CallbackRefusesWhatIsNotThisSignIn(t *testing.T) {
	ts, idp := staffServer(t)
	idp.SignInAs(idp.StaffClaims("op-web-3", "operator", "kabinet"))

	b := newBrowser(t, ts)
	p := b.get("/staff/callback?code=x&state=y")
	assert.Equal(t, http.StatusBadRequest, p.status, "no sign-in was started")
	assert.Contains(t, p.body, "Вход не был начат")

	back := b.getURL(b.authorizeURL().String())
	cb, err := url.Parse(back.header.Get("Location"))
	require.NoError(t, err)
	q := cb.Query()
	q.Set("state", "forged")
	p = b.get("/staff/callback?" + q.Encode())
	assert.Equal(t, http.StatusBadRequest, p.status, "bad state")
	assert.Contains(t, p.body, "state")
	assert.Contains(t, b.get("/staff/queue").header.Get("Location"), "/staff/signin", "no session")

	u := b.authorizeURL()
	p = b.get("/staff/callback?state=" + url.QueryEscape(u.Query().Get("state")))
	assert.Equal(t, http.StatusBadRequest, p.status, "missing code")
	assert.Contains(t, p.body, "нет кода")

	u = b.authorizeURL()
	p = b.get("/staff/callback?code=forged&state=" + url.QueryEscape(u.Query().Get("state")))
	assert.Equal(t, http.StatusUnauthorized, p.status, "forged code")
	assert.Contains(t, p.body, "не приняла код")

	// The flow cookie is one use: the same answer a second time is refused.
	u = b.authorizeURL()
	back = b.getURL(u.String())
	p = b.getURL(back.header.Get("Location"))
	require.Equal(t, http.StatusOK, p.status, p.body)
	p = b.getURL(back.header.Get("Location"))
	assert.Equal(t, http.StatusBadRequest, p.status, "replayed callback")

	// A nonce that is not the sign-in's: the provider is asked for another.
	b = newBrowser(t, ts)
	u = b.authorizeURL()
	q = u.Query()
	q.Set("nonce", "someone-elses")
	u.RawQuery = q.Encode()
	back = b.getURL(u.String())
	p = b.getURL(back.header.Get("Location"))
	assert.Equal(t, http.StatusUnauthorized, p.status, "bad nonce")
	assert.Contains(t, p.body, "nonce")

	// No second factor, and a citizen's role, are the API's refusals too.
	noMFA := idp.StaffClaims("op-web-4", "operator", "kabinet")
	noMFA["amr"] = []string{"pwd"}
	idp.SignInAs(noMFA)
	back = b.getURL(b.authorizeURL().String())
	p = b.getURL(back.header.Get("Location"))
	assert.Equal(t, http.StatusUnauthorized, p.status)
	assert.Contains(t, p.body, "второй фактор")
	idp.SignInAs(idp.StaffClaims("cit-web", "citizen", "kabinet"))
	back = b.getURL(b.authorizeURL().String())
	p = b.getURL(back.header.Get("Location"))
	assert.Equal(t, http.StatusUnauthorized, p.status)
	assert.Contains(t, b.get("/staff/queue").header.Get("Location"), "/staff/signin", "no session after any refusal")

	p = b.get("/staff/callback?error=access_denied&state=x")
	assert.Equal(t, http.StatusBadRequest, p.status, "no flow left after the last callback")
}

func TestWebStaff_StaffPagesWithoutAProviderSayItIsNotSetUp(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	for _, path := range []string{"/staff/signin", "/staff/queue", "/staff/callback?code=x&state=y"} {
		p := b.get(path)
		assert.Equal(t, http.StatusNotFound, p.status, path)
		assert.Contains(t, p.body, "KABINET_OIDC_ISSUER", path)
	}
}

func TestWebStaff_CrossOriginPostsAreRefused(t *testing.T) {
	ts, idp := staffServer(t)
	b := newBrowser(t, ts)
	b.staffSignIn(idp, "op-web-5", "operator")
	app := uuid.NewString()
	for _, path := range []string{"/staff/signout", "/staff/cases/" + app + "/approve", "/staff/cases/" + app + "/reject"} {
		p := b.post(path, url.Values{"reason": {"other"}, "comment": {"x"}}, "Origin", "https://evil.example")
		assert.Equal(t, http.StatusForbidden, p.status, path)
		p = b.post(path, url.Values{"reason": {"other"}, "comment": {"x"}}, "Sec-Fetch-Site", "cross-site")
		assert.Equal(t, http.StatusForbidden, p.status, path)
	}
	assert.Equal(t, http.StatusOK, b.get("/staff/queue").status, "still signed in")
}

func TestWebStaff_OperatorWorksACaseFromTheQueue(t *testing.T) {
	ts, idp := staffServer(t)
	p := ts.confirmedApplicant("+79123458003")
	sub := ts.submit(p, domain.ServiceCertificate)
	require.Equal(t, http.StatusCreated, sub.status, string(sub.raw))
	app := sub.body["application_id"].(string)
	number := sub.body["number"].(string)
	// The queue and the application are separate projections: the queue
	// may list the application before its own read model has it.
	require.Equal(t, http.StatusOK, ts.read("/v1/applications/"+app, p.token, sub).status)

	b := newBrowser(t, ts)
	b.staffSignIn(idp, "op-web-6", "operator")
	var q page
	require.Eventually(t, func() bool {
		q = b.get("/staff/queue?kind=applications")
		return strings.Contains(q.body, number)
	}, 10*time.Second, 50*time.Millisecond, "the queue lists the application")
	assert.Contains(t, q.body, `href="/staff/cases/`+app+`"`)
	assert.Contains(t, q.body, "Иванов Пётр")
	assert.Contains(t, q.body, "Срок", "deadlines are shown")

	c := b.get("/staff/cases/" + app)
	require.Equal(t, http.StatusOK, c.status, c.body)
	assert.Contains(t, c.body, number)
	assert.Contains(t, c.body, `id="do-accept"`)
	assert.Contains(t, c.body, `id="reject-reason"`, "reject is open on a submitted application")

	// Malformed input: a bad case id, an unknown decision, an unknown reason.
	bad := b.get("/staff/cases/not-a-uuid")
	assert.Equal(t, http.StatusNotFound, bad.status)
	assert.Contains(t, bad.body, "Неверный номер дела")
	assert.Equal(t, http.StatusNotFound, b.get("/staff/cases/"+uuid.NewString()).status)
	assert.Equal(t, http.StatusNotFound, b.post("/staff/cases/"+app+"/delete", nil).status)
	r := b.post("/staff/cases/"+app+"/reject", url.Values{"reason": {"because"}, "comment": {"нет"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Contains(t, r.body, `id="reject-reason-error"`)
	assert.Contains(t, r.body, "Такой причины нет в перечне")
	r = b.post("/staff/cases/"+app+"/reject", url.Values{"reason": {"clarification_timeout"}, "comment": {"нет"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, "the scheduler's reason is not the operator's")
	r = b.post("/staff/cases/"+app+"/reject", url.Values{"reason": {"other"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Contains(t, r.body, `id="reject-comment-error"`)
	assert.Contains(t, r.body, `<option value="other" selected>`, "the choice is kept")
	r = b.post("/staff/cases/"+app+"/approve", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, "the API's refusal of a decision out of turn")
	assert.Contains(t, r.body, "невозможно в текущем статусе")

	require.Equal(t, http.StatusSeeOther, b.get("/lang/en?back=/staff/cases/"+app).status)
	r = b.post("/staff/cases/"+app+"/reject", url.Values{"reason": {"because"}, "comment": {"no"}})
	assert.Contains(t, r.body, "That reason is not on the list", "in English after the switch")
	require.Equal(t, http.StatusSeeOther, b.get("/lang/ru?back=/staff").status)

	for _, step := range []string{"accept", "start-review"} {
		r = b.post("/staff/cases/"+app+"/"+step, nil)
		require.Equal(t, http.StatusSeeOther, r.status, "%s: %s", step, r.body)
		assert.Equal(t, "/staff/cases/"+app, r.header.Get("Location"))
	}
	r = b.post("/staff/cases/"+app+"/request-clarification", url.Values{"comment": {"Приложите перевод"}, "due": {"01.01.2000"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, "a date in the past")
	assert.Contains(t, r.body, `id="request-clarification-due-error"`)
	r = b.post("/staff/cases/"+app+"/approve", url.Values{"comment": {"Справка готова"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	c = b.get("/staff/cases/" + app)
	assert.Contains(t, c.body, `data-status="approved"`, "the page reads its own write")
	assert.Contains(t, c.body, "Справка готова")
}

func TestWebStaff_AuditorSeesATimelineWithEachProofCheckedAndTheStateAtAMoment(t *testing.T) {
	ts, idp := staffServer(t)
	account, _ := ts.register("+79123458004")
	b := newBrowser(t, ts)
	b.staffSignIn(idp, "aud-web-1", "auditor")

	p := b.get("/staff/audit?account=not-a-uuid")
	assert.Equal(t, http.StatusBadRequest, p.status)
	assert.Contains(t, p.body, `id="account-error"`)
	p = b.get("/staff/audit?account=" + account)
	assert.Equal(t, "/staff/audit/"+account, p.header.Get("Location"))
	assert.Equal(t, http.StatusNotFound, b.get("/staff/audit/"+uuid.NewString()).status, "no such account")
	assert.Equal(t, http.StatusNotFound, b.get("/staff/audit/nope").status)

	// Once the journal has signed a checkpoint over the events, each is proven.
	require.Eventually(t, func() bool {
		p = b.get("/staff/audit/" + account)
		return p.status == http.StatusOK && strings.Contains(p.body, `data-pending="0"`)
	}, 15*time.Second, 100*time.Millisecond, "every event proven: %s", p.body)
	assert.Contains(t, p.body, `data-failed="0"`)
	assert.Contains(t, p.body, `data-proof="verified"`)
	assert.NotContains(t, p.body, `data-proof="failed"`)
	assert.Contains(t, p.body, "AccountRegistered")

	now := time.Now().In(time.FixedZone("MSK", 3*3600)).Format("2006-01-02T15:04")
	p = b.get("/staff/audit/" + account + "?at=" + url.QueryEscape(now))
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.Contains(t, p.body, `<pre class="state">`)
	p = b.get("/staff/audit/" + account + "?at=2000-01-01T00:00")
	assert.Equal(t, http.StatusUnprocessableEntity, p.status, "before the account existed")
	assert.Contains(t, p.body, `id="at-error"`)
	p = b.get("/staff/audit/" + account + "?at=yesterday")
	assert.Equal(t, http.StatusUnprocessableEntity, p.status)
	assert.Contains(t, p.body, `id="at-error"`)
}

func TestWebStaff_SecuritySeesTheJournalItsCheckpointAndItsVerification(t *testing.T) {
	ts, idp := staffServer(t)
	account, _ := ts.register("+79123458005")
	b := newBrowser(t, ts)
	b.staffSignIn(idp, "sec-web-1", "security")
	var p page
	require.Eventually(t, func() bool {
		p = b.get("/staff/journal?account_id=" + account)
		return p.status == http.StatusOK && strings.Contains(p.body, "data-seq=") && strings.Contains(p.body, `data-signed="true"`)
	}, 15*time.Second, 100*time.Millisecond, "the account's entries and a signed checkpoint: %s", p.body)
	assert.Contains(t, p.body, account)
	// An entry about several people is listed under each, naming them all.
	other := uuid.NewString()
	require.NoError(t, ts.app.JournalWriter.RecordAll(context.Background(), []journal.Entry{{
		ActorID: "op-web-9", ActorRole: "operator", Action: "ReadOperatorQueue", AccountIDs: []string{account, other}, Outcome: journal.Done,
	}}))
	require.Eventually(t, func() bool {
		p = b.get("/staff/journal?action=ReadOperatorQueue&account_id=" + other)
		return p.status == http.StatusOK && strings.Contains(p.body, "op-web-9")
	}, 15*time.Second, 100*time.Millisecond, "the page read, under the other person: %s", p.body)
	assert.Contains(t, p.body, account)
	p = b.get("/staff/journal?outcome=denied")
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.NotContains(t, p.body, `data-outcome="done"`)
	p = b.get("/staff/journal?from=nonsense")
	assert.Equal(t, http.StatusBadRequest, p.status)
	assert.Contains(t, p.body, `id="from-error"`)
	p = b.get("/staff/journal?outcome=maybe")
	assert.Equal(t, http.StatusBadRequest, p.status, "the API's refusal of an unknown outcome")

	p = b.get("/staff/journal/verify")
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.Contains(t, p.body, `data-ok="true"`)
}

func TestWebStaff_OperatorDecidesAnIdentityVerificationFromTheQueue(t *testing.T) {
	ts, idp := staffServer(t)
	// standardAccount without its level check, which reads as a staff
	// token Kabinet minted: with a provider, staff tokens are the provider's.
	id, tok := ts.person("+79123458031")
	for _, doc := range []struct {
		meta  map[string]any
		scans [][]byte
	}{{passportMeta(), [][]byte{idPDF}}, {migrationCardMeta(), [][]byte{idPDF, idPDF}}, {patentMeta(), [][]byte{idPDF}}} {
		a := ts.upload(id, tok, doc.meta, doc.scans...)
		require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	}
	require.Equal(t, http.StatusOK, ts.do("POST", "/v1/accounts/"+id+"/snils", tok, map[string]string{"snils": snilsFor(91)}).status)
	ts.verify(id, tok, map[string]any{"method": "service_center"}, http.StatusAccepted)
	level := func() string {
		head, err := ts.app.Store.Head(context.Background())
		require.NoError(t, err)
		c := ts.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", strconv.FormatUint(head, 10))
		require.Equal(t, http.StatusOK, c.status, string(c.raw))
		return c.body["level"].(string)
	}
	require.Equal(t, "standard", level())

	b := newBrowser(t, ts)
	b.staffSignIn(idp, "op-web-id", "operator")
	require.Eventually(t, func() bool {
		return strings.Contains(b.get("/staff/queue?kind=identity").body, `href="/staff/identity/`+id+`"`)
	}, 10*time.Second, 50*time.Millisecond, "the identity queue links the case")

	c := b.get("/staff/identity/" + id)
	require.Equal(t, http.StatusOK, c.status, c.body)
	assert.Contains(t, c.body, "Иванов")
	assert.Contains(t, c.body, `id="approve-method"`)
	assert.Contains(t, c.body, `<option value="registry_mismatch"`, "the identity reasons' closed list")

	// Bad input is answered beside its field, in the operator's language.
	bad := b.post("/staff/identity/"+id+"/approve", url.Values{"method": {"bank"}})
	assert.Equal(t, http.StatusUnprocessableEntity, bad.status)
	assert.Contains(t, bad.body, `id="approve-method-error"`)
	assert.Contains(t, bad.body, "Выберите, как проверена личность")
	bad = b.post("/staff/identity/"+id+"/reject", url.Values{"reason": {"not_a_reason"}})
	assert.Equal(t, http.StatusUnprocessableEntity, bad.status)
	assert.Contains(t, bad.body, `id="reject-reason-error"`)
	assert.Contains(t, bad.body, `id="reject-comment-error"`)
	assert.Equal(t, http.StatusNotFound, b.get("/staff/identity/not-a-uuid").status)
	assert.Equal(t, http.StatusNotFound, b.post("/staff/identity/"+id+"/erase", nil).status)
	assert.Equal(t, "standard", level(), "nothing was decided")

	ok := b.post("/staff/identity/"+id+"/approve", url.Values{"method": {"service_center"}, "comment": {"паспорт сверен"}})
	require.Equal(t, http.StatusSeeOther, ok.status, ok.body)
	assert.Equal(t, "/staff/identity/"+id, ok.header.Get("Location"))
	assert.Equal(t, "confirmed", level())
	after := b.get("/staff/identity/" + id)
	assert.NotContains(t, after.body, `id="do-approve-identity"`, "a decided verification has no decision forms")

	// Another role is refused the page.
	aud := newBrowser(t, ts)
	aud.staffSignIn(idp, "aud-web-id", "auditor")
	assert.Equal(t, http.StatusForbidden, aud.get("/staff/identity/"+id).status)
	assert.Equal(t, http.StatusForbidden, aud.post("/staff/identity/"+id+"/reject",
		url.Values{"reason": {"scan_unreadable"}, "comment": {"x"}}).status)
}
