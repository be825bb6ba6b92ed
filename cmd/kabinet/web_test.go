package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browser is an HTTP client with cookies that does not follow redirects,
// as a page test needs to see them.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newBrowser(t *testing.T, ts *testServer) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: ts.srv.URL, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	resp, err := b.client.Get(b.base + path)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) post(path string, form url.Values, hdr ...string) page {
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func TestWeb_PagesCarryAStrictPolicyAndNoCaching(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	for _, path := range []string{"/", "/register", "/signin", "/services"} {
		p := b.get(path)
		require.Equal(t, http.StatusOK, p.status, path)
		csp := p.header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", path)
		assert.Contains(t, csp, "script-src 'self'", path)
		assert.Contains(t, csp, "frame-ancestors 'none'", path)
		assert.NotContains(t, csp, "unsafe-inline", path)
		assert.Equal(t, "no-store", p.header.Get("Cache-Control"), path)
		assert.Equal(t, "nosniff", p.header.Get("X-Content-Type-Options"), path)
		assert.Contains(t, p.body, `<html lang="ru">`, path)
	}
}

func TestWeb_AFormPostedFromAnotherSiteIsRefused(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	form := url.Values{"surname": {"Иванов"}, "given_names": {"Пётр"}, "citizenship": {"UZ"}, "phone": {"+79123457001"}, "consent": {"on"}}
	p := b.post("/register", form, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, p.status)
	p = b.post("/register", form, "Origin", "https://evil.example")
	assert.Equal(t, http.StatusForbidden, p.status)
	head, err := ts.app.Store.Head(t.Context())
	require.NoError(t, err)
	assert.Zero(t, head, "no account was created")
}

func TestWeb_RegisterConfirmAndTheCabinetWithSessionCookies(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	p := b.post("/register", url.Values{"surname": {"Иванов"}, "given_names": {"Пётр"}, "citizenship": {"uz"},
		"phone": {"+79123457002"}, "consent": {"on"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	assert.Equal(t, "/confirm?channel=phone", p.header.Get("Location"))
	var account string
	for _, c := range p.header.Values("Set-Cookie") {
		assert.Contains(t, c, "HttpOnly", c)
		assert.Contains(t, c, "SameSite=Strict", c)
		if v, ok := strings.CutPrefix(c, "kabinet_account="); ok {
			account = strings.SplitN(v, ";", 2)[0]
		}
	}
	require.NotEmpty(t, account)

	p = b.post("/confirm", url.Values{"channel": {"phone"}, "code": {"000000"}})
	if p.status == http.StatusSeeOther { // the code happened to be 000000
		t.Skip("the random code was the wrong one we send")
	}
	assert.Equal(t, http.StatusUnprocessableEntity, p.status)
	assert.Contains(t, p.body, `aria-invalid="true"`, "the error sits next to the code field")
	assert.Contains(t, p.body, `id="code-error"`)

	p = b.post("/confirm", url.Values{"channel": {"phone"}, "code": {ts.lastCode(account)}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Eventually(t, func() bool {
		return strings.Contains(b.get("/cabinet").body, `data-level="simplified"`)
	}, 10*time.Second, 50*time.Millisecond, "the cabinet shows the simplified level")
	assert.Contains(t, b.get("/cabinet").body, "подтверждён")

	p = b.post("/logout", nil)
	assert.Equal(t, http.StatusSeeOther, p.status)
	assert.Equal(t, "/signin", b.get("/cabinet").header.Get("Location"), "after logout the cabinet asks to sign in")
}

func TestWeb_RegistrationErrorsAreShownBesideTheirFieldsInThePersonsLanguage(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	p := b.post("/register", url.Values{"surname": {"Иванов"}, "given_names": {"Пётр"}, "citizenship": {"UZ"},
		"phone": {"12"}, "consent": {"on"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.status)
	assert.Contains(t, p.body, `id="phone-error"`)
	assert.Contains(t, p.body, `value="Иванов"`, "what was typed is kept")

	require.Equal(t, http.StatusSeeOther, b.get("/lang/en?back=/register").status)
	p = b.get("/register")
	assert.Contains(t, p.body, `<html lang="en">`)
	assert.Contains(t, p.body, "Surname")
	assert.Equal(t, "/", b.get("/lang/en?back=//evil.example").header.Get("Location"), "no open redirect")
}

func TestWeb_RegistrationWithoutConsentIsRefusedBesideTheCheckbox(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	p := b.post("/register", url.Values{"surname": {"Иванов"}, "given_names": {"Пётр"}, "citizenship": {"UZ"}, "phone": {"+79123457003"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.status)
	assert.Contains(t, p.body, `id="consent-error"`)
	head, err := ts.app.Store.Head(t.Context())
	require.NoError(t, err)
	assert.Zero(t, head, "no account without consent")
}

// TestWeb_TheLatinPreviewTakesTheNameInTheBodyOnly: the name is posted,
// never put in a URL, and another site cannot ask.
func TestWeb_TheLatinPreviewTakesTheNameInTheBodyOnly(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	p := b.post("/translit", url.Values{"text": {"Пётр"}})
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.JSONEq(t, `{"latin":"Pyotr"}`, p.body)
	assert.Equal(t, http.StatusMethodNotAllowed, b.get("/translit?text=%D0%9F%D1%91%D1%82%D1%80").status)
	assert.Equal(t, http.StatusForbidden, b.post("/translit", url.Values{"text": {"Пётр"}}, "Sec-Fetch-Site", "cross-site").status)
	assert.Equal(t, http.StatusBadRequest, b.post("/translit", url.Values{"text": {strings.Repeat("я", 4000)}}).status,
		"a body past its bound is refused")
}
