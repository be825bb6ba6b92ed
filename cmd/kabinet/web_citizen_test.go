package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// citizenPages are the citizen's pages that need a session.
var citizenPages = []string{"/cabinet/sessions", "/cabinet/identifiers", "/cabinet/verification", "/cabinet/notifications",
	"/cabinet/support", "/cabinet/appointments", "/cabinet/fines"}

// registeredBrowser registers a citizen through the page and keeps the
// session's cookies.
func registeredBrowser(t *testing.T, ts *testServer, phone string) *browser {
	b := newBrowser(t, ts)
	p := b.post("/register", url.Values{"surname": {"Иванов"}, "given_names": {"Пётр"}, "citizenship": {"UZ"},
		"phone": {phone}, "consent": {"on"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	return b
}

func TestWebCitizen_PagesAskToSignInWithoutASession(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	for _, path := range citizenPages {
		p := b.get(path)
		assert.Equal(t, http.StatusSeeOther, p.status, path)
		assert.Equal(t, "/signin", p.header.Get("Location"), path)
	}
	p := b.post("/cabinet/snils", url.Values{"snils": {"11223344595"}})
	assert.Equal(t, "/signin", p.header.Get("Location"))
}

func TestWebCitizen_PagesRenderForTheOwnerInBothLanguages(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79123458001")
	want := map[string]string{"/cabinet/sessions": "Сеансы", "/cabinet/identifiers": "СНИЛС",
		"/cabinet/verification": "Электронная подпись", "/cabinet/notifications": "Настройки уведомлений",
		"/cabinet/support": "Новое обращение", "/cabinet/appointments": "Записи на приём", "/cabinet/fines": "Штрафы"}
	for _, path := range citizenPages {
		p := b.get(path)
		require.Equal(t, http.StatusOK, p.status, path+": "+p.body)
		assert.Contains(t, p.body, want[path], path)
		assert.NotContains(t, p.header.Get("Content-Security-Policy"), "unsafe-inline", path)
	}
	cab := b.get("/cabinet").body
	for _, path := range citizenPages {
		assert.Contains(t, cab, `href="`+path+`"`, "the cabinet links "+path)
	}
	b.get("/lang/en?back=/")
	assert.Contains(t, b.get("/cabinet/identifiers").body, "SNILS (11 digits)")
}

func TestWebCitizen_SessionsListAndRevokeTheCurrentOne(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79123458002")
	p := b.get("/cabinet/sessions")
	require.Equal(t, http.StatusOK, p.status, p.body)
	i := strings.Index(p.body, `action="/cabinet/sessions/`)
	require.Positive(t, i, "a revoke form per session")
	action := p.body[i+len(`action="`):]
	action = action[:strings.Index(action, `"`)]
	assert.Contains(t, p.body, `name="current" value="true"`, "the current session is marked")

	assert.Equal(t, http.StatusForbidden, b.post(action, url.Values{"current": {"true"}}, "Origin", "https://evil.example").status)
	assert.Equal(t, http.StatusOK, b.get("/cabinet/sessions").status, "the refused post ended nothing")

	p = b.post(action, url.Values{"current": {"true"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	assert.Equal(t, "/signin", p.header.Get("Location"))
	assert.Equal(t, "/signin", b.get("/cabinet/sessions").header.Get("Location"), "the ended session is gone")
}

func TestWebCitizen_BadSNILSAndINNAreShownBesideTheirFields(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79123458003")
	p := b.post("/cabinet/snils", url.Values{"snils": {"11223344500"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	assert.Contains(t, p.body, `id="snils-error"`)
	assert.Contains(t, p.body, `value="11223344500"`, "what was typed is kept")
	p = b.post("/cabinet/inn", url.Values{"inn": {"123"}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	assert.Contains(t, p.body, `id="inn-error"`)
}

func TestWebCitizen_VerificationErrorsAndTheSignatureChallenge(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79123458004")
	p := b.post("/cabinet/verification", url.Values{"method": {"telepathy"}})
	assert.GreaterOrEqual(t, p.status, 400, p.body)
	assert.Contains(t, p.body, `id="method-error"`)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("note", "no file"))
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, b.base+"/cabinet/verification/signature", &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, string(raw), `id="signature-error"`)

	p = b.post("/cabinet/verification/code", url.Values{"vcode": {"000000"}})
	assert.GreaterOrEqual(t, p.status, 400)
	assert.Contains(t, p.body, `id="vcode-error"`)
}

func TestWebCitizen_NotificationPreferences(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79123458005")
	p := b.post("/cabinet/notifications/preferences", url.Values{"email": {"on"}, "frequency": {""}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	assert.Contains(t, p.body, `id="frequency-error"`)
	p = b.post("/cabinet/notifications/preferences", url.Values{"email": {"on"}, "frequency": {"daily"}})
	assert.Equal(t, http.StatusSeeOther, p.status, p.body)
	assert.Equal(t, http.StatusForbidden, b.post("/cabinet/notifications/preferences",
		url.Values{"frequency": {"daily"}}, "Sec-Fetch-Site", "cross-site").status)
}

func TestWebCitizen_SupportRequestErrorsBesideTheFieldThenCreated(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79123458006")
	p := b.post("/cabinet/support", url.Values{"topic": {"documents"}, "text": {""}})
	assert.GreaterOrEqual(t, p.status, 400, p.body)
	assert.Regexp(t, `id="(text|topic)-error"`, p.body)
	assert.Equal(t, http.StatusForbidden, b.post("/cabinet/support", url.Values{"topic": {"documents"}, "text": {"x"}},
		"Origin", "https://evil.example").status)
}

func TestWebCitizen_ComplaintFormAndItsRefusalBesideTheText(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	assert.Equal(t, "/signin", b.get("/applications/00000000-0000-0000-0000-000000000000/complaint").header.Get("Location"))
	b = registeredBrowser(t, ts, "+79123458007")
	p := b.get("/applications/00000000-0000-0000-0000-000000000000/complaint")
	require.Equal(t, http.StatusOK, p.status, p.body)
	assert.Contains(t, p.body, `for="corrections"`)
	p = b.post("/applications/00000000-0000-0000-0000-000000000000/complaint", url.Values{"text": {"Прошу пересмотреть"}})
	assert.GreaterOrEqual(t, p.status, 400, p.body)
	assert.Contains(t, p.body, `id="text-error"`)
	assert.Contains(t, p.body, "Прошу пересмотреть", "what was typed is kept")
}
