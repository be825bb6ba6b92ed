package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

// tokenBrowser is a browser holding the session of account id with token
// tok, as the sign-in page would have left it, whose pages read at least
// what the store holds now.
func tokenBrowser(t *testing.T, ts *testServer, id, tok string) *browser {
	b := newBrowser(t, ts)
	b.setCookie("kabinet_token", tok)
	b.setCookie("kabinet_account", id)
	b.setCookie("kabinet_position", ts.head())
	return b
}

// head is the store's last global position.
func (ts *testServer) head() string {
	ts.t.Helper()
	h, err := ts.app.Store.Head(ts.t.Context())
	require.NoError(ts.t, err)
	return strconv.FormatUint(h, 10)
}

func (b *browser) setCookie(name, value string) {
	u, err := url.Parse(b.base)
	require.NoError(b.t, err)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// attr is the first value of attribute name in the page after prefix
// (e.g. the action of the first form whose action starts with prefix).
func attr(t *testing.T, body, name, prefix string) string {
	t.Helper()
	m := regexp.MustCompile(name + `="(` + regexp.QuoteMeta(prefix) + `[^"]*)"`).FindStringSubmatch(html.UnescapeString(body))
	require.NotNil(t, m, "no %s=%q… in the page", name, prefix)
	return m[1]
}

// bookableDay is the first day from tomorrow on (Moscow) with free slots
// at the office, as the booking form's date.
func (ts *testServer) bookableDay(office string) string {
	ts.t.Helper()
	for n := 1; n < 10; n++ {
		day := domain.MoscowDate(time.Now()).AddDays(n).String()
		a := ts.do("GET", "/v1/offices/"+office+"/slots?date="+day, "", nil)
		require.Equal(ts.t, http.StatusOK, a.status, string(a.raw))
		if items, _ := a.body["items"].([]any); len(items) > 3 {
			return day
		}
	}
	ts.t.Fatal("no day with free slots")
	return ""
}

func TestWebCitizenMore_PagesAskToSignInWithoutASession(t *testing.T) {
	ts := startServer(t, nil)
	b := newBrowser(t, ts)
	some := "00000000-0000-4000-8000-000000000000"
	for _, path := range []string{"/cabinet/contacts", "/cabinet/activity", "/cabinet/appointments",
		"/cabinet/appointments?office=mfc-tverskoy&purpose=certificate&date=2030-01-01", "/cabinet/appointments/" + some,
		"/cabinet/appointments/" + some + "/ticket.png", "/cabinet/support/" + some} {
		p := b.get(path)
		assert.Equal(t, http.StatusSeeOther, p.status, path)
		assert.Equal(t, "/signin", p.header.Get("Location"), path)
	}
	for _, path := range []string{"/cabinet/contacts", "/cabinet/contacts/confirm", "/cabinet/contacts/code", "/cabinet/contacts/remove",
		"/cabinet/appointments", "/cabinet/appointments/" + some + "/cancel", "/cabinet/appointments/" + some + "/reschedule",
		"/cabinet/support/" + some + "/messages", "/cabinet/support/" + some + "/close", "/cabinet/notifications/n1/read"} {
		p := b.post(path, url.Values{"channel": {"phone"}, "value": {"+79123450000"}, "slot": {"2030-01-01T10:00:00Z"}, "text": {"x"}})
		assert.Equal(t, http.StatusSeeOther, p.status, path)
		assert.Equal(t, "/signin", p.header.Get("Location"), path)
	}
}

func TestWebCitizenMore_BookAVisitSeeItsTicketMoveAndCancelIt(t *testing.T) {
	ts := startServer(t, nil)
	p := ts.confirmedApplicant("+79160001001")
	b := tokenBrowser(t, ts, p.id, p.token)
	day := ts.bookableDay(visitOffice)

	page := b.get("/cabinet/appointments")
	require.Equal(t, http.StatusOK, page.status, page.body)
	assert.Contains(t, page.body, `<label for="office">`)
	assert.Contains(t, page.body, `<label for="purpose">`)
	assert.Contains(t, page.body, `<label for="date">`)
	assert.Contains(t, page.body, "МФЦ района Тверской")

	q := "/cabinet/appointments?" + url.Values{"office": {visitOffice}, "purpose": {domain.ServiceArrivalNotification}, "date": {day}}.Encode()
	require.Eventually(t, func() bool {
		page = b.get(q)
		return page.status == http.StatusOK && strings.Contains(page.body, `for="doc-3"`)
	}, 10*time.Second, 50*time.Millisecond, "the cabinet's read model has the documents recorded behind the API's back")
	slot := attr(t, page.body, `name="slot" value`, day[:4]) // the first free slot's radio
	assert.Contains(t, page.body, `name="slot"`)
	assert.Contains(t, page.body, `for="slot-0"`, "every slot has its label")

	form := url.Values{"office": {visitOffice}, "purpose": {domain.ServiceArrivalNotification}, "date": {day}, "slot": {slot},
		"document": {p.docs["passport"].String()}}
	missing := b.post("/cabinet/appointments", form)
	assert.Equal(t, http.StatusUnprocessableEntity, missing.status, missing.body)
	assert.Contains(t, missing.body, `id="documents-error"`, "the missing migration card is shown beside the documents")
	assert.Contains(t, missing.body, "нужны ещё документы")
	assert.Regexp(t, `checked> <label for="doc-\d">Паспорт иностранного гражданина`, missing.body, "what was ticked stays ticked")

	assert.Equal(t, http.StatusForbidden, b.post("/cabinet/appointments", form, "Origin", "https://evil.example").status)

	form["document"] = append(form["document"], p.docs["migration_card"].String())
	booked := b.post("/cabinet/appointments", form)
	require.Equal(t, http.StatusSeeOther, booked.status, booked.body)
	visit := booked.header.Get("Location")
	require.Regexp(t, `^/cabinet/appointments/[0-9a-f-]{36}$`, visit)

	page = b.get(visit)
	require.Equal(t, http.StatusOK, page.status, page.body)
	assert.Regexp(t, `A-\d{4}-\d{6}`, page.body, "the ticket's number")
	assert.Contains(t, page.body, `data-status="ready_for_visit"`)
	assert.Contains(t, page.body, `src="`+visit+`/ticket.png"`)
	img := b.get(visit + "/ticket.png")
	require.Equal(t, http.StatusOK, img.status)
	assert.Equal(t, "image/png", img.header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(img.body, "\x89PNG"), "the QR code is a PNG")
	list := b.get("/cabinet/appointments")
	assert.Contains(t, list.body, `href="`+visit+`"`, "the list links the visit")

	o, otok := ts.register("+79160001002")
	other := tokenBrowser(t, ts, o, otok)
	taken := other.post("/cabinet/appointments", url.Values{"office": {visitOffice}, "purpose": {domain.ServiceCertificate},
		"date": {day}, "slot": {slot}})
	assert.Equal(t, http.StatusConflict, taken.status, taken.body)
	assert.Contains(t, taken.body, `id="slot-error"`)
	assert.Contains(t, taken.body, "Это время уже заняли")

	stranger := other.get(visit)
	assert.Equal(t, http.StatusNotFound, stranger.status, "another citizen's visit is not found")
	assert.NotRegexp(t, `A-\d{4}-\d{6}`, stranger.body)
	assert.Equal(t, http.StatusNotFound, other.get(visit+"/ticket.png").status)
	assert.Equal(t, http.StatusNotFound, other.post(visit+"/cancel", nil).status)
	assert.Equal(t, http.StatusNotFound, other.post(visit+"/reschedule", url.Values{"slot": {slot}}).status)

	move := b.get(visit + "?date=" + day)
	require.Equal(t, http.StatusOK, move.status, move.body)
	var later string
	for _, m := range regexp.MustCompile(`name="slot" value="([^"]+)"`).FindAllStringSubmatch(move.body, -1) {
		if m[1] != slot {
			later = m[1]
			break
		}
	}
	require.NotEmpty(t, later, "another free slot is offered")
	noSlot := b.post(visit+"/reschedule", url.Values{"date": {day}})
	assert.Equal(t, http.StatusUnprocessableEntity, noSlot.status)
	assert.Contains(t, noSlot.body, `id="slot-error"`)
	assert.Contains(t, noSlot.body, "Выберите время")
	moved := b.post(visit+"/reschedule", url.Values{"date": {day}, "slot": {later}})
	require.Equal(t, http.StatusSeeOther, moved.status, moved.body)
	page = b.get(visit)
	assert.Contains(t, page.body, `datetime="`+later+`"`, "the visit is at the new slot")

	assert.Equal(t, http.StatusForbidden, b.post(visit+"/cancel", nil, "Sec-Fetch-Site", "cross-site").status)
	cancelled := b.post(visit+"/cancel", nil)
	require.Equal(t, http.StatusSeeOther, cancelled.status, cancelled.body)
	page = b.get(visit)
	assert.Contains(t, page.body, `data-status="cancelled"`)
	assert.NotContains(t, page.body, "ticket.png", "a cancelled visit has no QR code")
}

func TestWebCitizenMore_BookingChoicesAreCheckedBesideTheirFields(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79160001101")
	p := b.get("/cabinet/appointments?office=ifns-7710&purpose=certificate&date=2030-13-45")
	assert.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	assert.Contains(t, p.body, `id="purpose-error"`, "the tax office does not issue certificates")
	assert.Contains(t, p.body, `id="date-error"`)
	assert.Contains(t, p.body, `value="2030-13-45"`, "what was typed is kept")
	p = b.get("/cabinet/appointments?office=nowhere&purpose=")
	assert.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	assert.Contains(t, p.body, `id="office-error"`)
	assert.Contains(t, p.body, `id="purpose-error"`)
	p = b.post("/cabinet/appointments", url.Values{"office": {visitOffice}, "purpose": {"certificate"}, "date": {ts.bookableDay(visitOffice)}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.status, p.body)
	assert.Contains(t, p.body, `id="slot-error"`)
	b.get("/lang/en?back=/")
	p = b.post("/cabinet/appointments", url.Values{"office": {visitOffice}, "purpose": {"certificate"}, "date": {ts.bookableDay(visitOffice)}})
	assert.Contains(t, p.body, "Choose a time.")
}

func TestWebCitizenMore_SupportThreadReplyAnswerAndClose(t *testing.T) {
	ts := startServer(t, nil)
	b := registeredBrowser(t, ts, "+79160001201")
	p := b.post("/cabinet/support", url.Values{"topic": {"Документы"}, "text": {"Не могу загрузить скан"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	list := b.get("/cabinet/support")
	thread := attr(t, list.body, "href", "/cabinet/support/")
	page := b.get(thread)
	require.Equal(t, http.StatusOK, page.status, page.body)
	assert.Contains(t, page.body, "Не могу загрузить скан")
	assert.Contains(t, page.body, `data-status="open"`)
	assert.Contains(t, page.body, `<label for="text">`)

	empty := b.post(thread+"/messages", url.Values{"text": {"   "}})
	assert.Equal(t, http.StatusUnprocessableEntity, empty.status, empty.body)
	assert.Contains(t, empty.body, `id="text-error"`)
	assert.Contains(t, empty.body, "Заполните это поле", "the error is in Russian")
	assert.Contains(t, empty.body, "Не могу загрузить скан", "the thread is still shown")

	assert.Equal(t, http.StatusForbidden, b.post(thread+"/messages", url.Values{"text": {"x"}}, "Origin", "https://evil.example").status)
	reply := b.post(thread+"/messages", url.Values{"text": {"Файл в формате HEIC"}})
	require.Equal(t, http.StatusSeeOther, reply.status, reply.body)
	assert.Equal(t, thread, reply.header.Get("Location"))

	req := thread[strings.LastIndex(thread, "/")+1:]
	op := ts.staffToken("operator", "op-7")
	a := ts.do("POST", "/v1/support-requests/"+req+"/messages", op, map[string]string{"text": "Сохраните скан как PDF"})
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	b.setCookie("kabinet_position", position(a))
	page = b.get(thread)
	assert.Contains(t, page.body, "Файл в формате HEIC")
	assert.Contains(t, page.body, "Сохраните скан как PDF")
	assert.Contains(t, page.body, "оператор", "staff appear by role")
	assert.NotContains(t, page.body, "op-7")

	o, otok := ts.register("+79160001202")
	other := tokenBrowser(t, ts, o, otok)
	stranger := other.get(thread)
	assert.Equal(t, http.StatusNotFound, stranger.status)
	assert.NotContains(t, stranger.body, "Не могу загрузить скан")
	assert.Equal(t, http.StatusNotFound, other.post(thread+"/messages", url.Values{"text": {"чужое"}}).status)
	assert.Equal(t, http.StatusNotFound, other.post(thread+"/close", nil).status)
	assert.Equal(t, http.StatusNotFound, other.get("/cabinet/support/not-a-uuid").status)

	closed := b.post(thread+"/close", nil)
	require.Equal(t, http.StatusSeeOther, closed.status, closed.body)
	page = b.get(thread)
	assert.Contains(t, page.body, `data-status="closed"`)
	assert.NotContains(t, page.body, `action="`+thread+`/messages"`, "a closed request takes no reply")
	late := b.post(thread+"/messages", url.Values{"text": {"ещё"}})
	assert.Equal(t, http.StatusUnprocessableEntity, late.status)
	assert.Contains(t, late.body, `id="form-error"`)
}

func TestWebCitizenMore_ChangeThePhoneWithACode(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.confirmedAccount("+79160001301")
	b := tokenBrowser(t, ts, id, tok)
	page := b.get("/cabinet/contacts")
	require.Equal(t, http.StatusOK, page.status, page.body)
	assert.Contains(t, text(page), "+79160001301")
	for _, f := range []string{"channel-phone", "channel-email", "value", "replaces"} {
		assert.Contains(t, page.body, `for="`+f+`"`, "a label for "+f)
	}

	bad := b.post("/cabinet/contacts", url.Values{"channel": {"phone"}, "value": {"12"}})
	assert.Equal(t, http.StatusUnprocessableEntity, bad.status, bad.body)
	assert.Contains(t, bad.body, `id="value-error"`)
	assert.Contains(t, bad.body, `value="12"`, "what was typed is kept")
	noChannel := b.post("/cabinet/contacts", url.Values{"channel": {"pigeon"}, "value": {"x"}})
	assert.Equal(t, http.StatusUnprocessableEntity, noChannel.status)
	assert.Contains(t, noChannel.body, `id="channel-error"`)
	wrongKind := b.post("/cabinet/contacts", url.Values{"channel": {"email"}, "value": {"p@example.org"}, "replaces": {"+79160001301"}})
	assert.Equal(t, http.StatusUnprocessableEntity, wrongKind.status, wrongKind.body)
	assert.Contains(t, wrongKind.body, `id="replaces-error"`, "an email cannot replace a phone")

	assert.Equal(t, http.StatusForbidden, b.post("/cabinet/contacts", url.Values{"channel": {"phone"}, "value": {"+79160001302"},
		"replaces": {"+79160001301"}}, "Sec-Fetch-Site", "cross-site").status)
	added := b.post("/cabinet/contacts", url.Values{"channel": {"phone"}, "value": {"8 916 000-13-02"}, "replaces": {"+79160001301"}})
	require.Equal(t, http.StatusSeeOther, added.status, added.body)
	assert.Equal(t, "/cabinet/contacts", added.header.Get("Location"), "no contact in the address")
	page = b.get("/cabinet/contacts")
	assert.Contains(t, text(page), "+79160001302")
	assert.Contains(t, page.body, `for="code-1"`, "the new phone asks for its code")

	code := ts.codeTo("+79160001302")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	miss := b.post("/cabinet/contacts/confirm", url.Values{"channel": {"phone"}, "value": {"+79160001302"}, "code": {wrong}})
	assert.Equal(t, http.StatusUnprocessableEntity, miss.status, miss.body)
	assert.Contains(t, miss.body, `id="code-1-error"`, "the error sits beside the new phone's code")
	assert.Contains(t, miss.body, "Неверный код")

	other, otherTok := ts.confirmedAccount("+79160001303")
	stranger := tokenBrowser(t, ts, other, otherTok)
	stranger.setCookie("kabinet_account", id) // someone else's account id with one's own session
	assert.Equal(t, http.StatusNotFound, stranger.get("/cabinet/contacts").status)
	assert.NotContains(t, text(stranger.get("/cabinet/contacts")), "+79160001301")
	assert.Equal(t, http.StatusNotFound, stranger.post("/cabinet/contacts/confirm",
		url.Values{"channel": {"phone"}, "value": {"+79160001302"}, "code": {code}}).status)

	ok := b.post("/cabinet/contacts/confirm", url.Values{"channel": {"phone"}, "value": {"+79160001302"}, "code": {code}})
	require.Equal(t, http.StatusSeeOther, ok.status, ok.body)
	page = b.get("/cabinet/contacts")
	assert.Contains(t, text(page), "+79160001302")
	assert.NotContains(t, text(page), "+79160001301", "the replaced phone is gone")

	last := b.post("/cabinet/contacts/remove", url.Values{"channel": {"phone"}, "value": {"+79160001302"}})
	assert.Equal(t, http.StatusUnprocessableEntity, last.status, last.body)
	assert.Contains(t, last.body, `id="contact-0-error"`)
	assert.Contains(t, last.body, "единственный подтверждённый")
	b.get("/lang/en?back=/")
	last = b.post("/cabinet/contacts/remove", url.Values{"channel": {"phone"}, "value": {"+79160001302"}})
	assert.Contains(t, last.body, "The only confirmed contact cannot be removed.")
}

func TestWebCitizenMore_AddAnEmailAndRemoveIt(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.confirmedAccount("+79160001401")
	b := tokenBrowser(t, ts, id, tok)
	added := b.post("/cabinet/contacts", url.Values{"channel": {"email"}, "value": {"Petr@Example.org"}})
	require.Equal(t, http.StatusSeeOther, added.status, added.body)
	again := b.post("/cabinet/contacts/code", url.Values{"channel": {"email"}, "value": {"Petr@example.org"}})
	assert.Equal(t, http.StatusTooManyRequests, again.status, "a new code only after a minute")
	assert.Contains(t, again.body, `id="code-1-error"`)
	removed := b.post("/cabinet/contacts/remove", url.Values{"channel": {"email"}, "value": {"Petr@example.org"}})
	require.Equal(t, http.StatusSeeOther, removed.status, removed.body)
	assert.NotContains(t, b.get("/cabinet/contacts").body, "Petr@example.org")
	removed = b.post("/cabinet/contacts/remove", url.Values{"channel": {"phone"}, "value": {"+79160001401"}})
	assert.Equal(t, http.StatusUnprocessableEntity, removed.status, "never the last confirmed one")
}

func TestWebCitizenMore_MarkANotificationRead(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.register("+79160001501")
	a := ts.book(id, tok, ts.freeSlots(newTestClock(), 2, "")[0], domain.ServiceCertificate, nil)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	b := tokenBrowser(t, ts, id, tok)
	var action string
	require.Eventually(t, func() bool {
		p := b.get("/cabinet/notifications")
		if !strings.Contains(p.body, `action="/cabinet/notifications/`) {
			return false
		}
		action = attr(t, p.body, "action", "/cabinet/notifications/")
		return !strings.HasSuffix(action, "/preferences")
	}, 10*time.Second, 50*time.Millisecond, "the booking's notification is listed with a button")
	assert.Contains(t, b.get("/cabinet/notifications").body, `class="unread"`)

	o, otok := ts.register("+79160001502")
	assert.Equal(t, http.StatusNotFound, tokenBrowser(t, ts, o, otok).post(action, nil).status, "not someone else's notification")
	assert.Equal(t, http.StatusForbidden, b.post(action, nil, "Origin", "https://evil.example").status)
	assert.Contains(t, b.get("/cabinet/notifications").body, `class="unread"`, "refused posts marked nothing")

	p := b.post(action, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	page := b.get("/cabinet/notifications")
	assert.NotContains(t, page.body, `class="unread"`)
	assert.Contains(t, page.body, "Прочитано")
}

func TestWebCitizenMore_TheActivityLog(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.confirmedAccount("+79160001601")
	b := tokenBrowser(t, ts, id, tok)
	require.Equal(t, http.StatusOK, ts.do("GET", "/v1/accounts/"+id+"/cabinet", ts.staffToken("operator", "op-secret-9"), nil,
		"X-Kabinet-Min-Position", ts.head()).status)
	var page page
	require.Eventually(t, func() bool {
		page = b.get("/cabinet/activity")
		return page.status == http.StatusOK && strings.Contains(page.body, `data-action="ConfirmContact"`) &&
			strings.Contains(page.body, "оператор")
	}, 10*time.Second, 50*time.Millisecond, "the journal writer has taken the entries")
	assert.Contains(t, page.body, "Регистрация", "actions are named in Russian")
	assert.NotContains(t, page.body, "op-secret-9", "staff appear by role only")

	b.setCookie("kabinet_account", ts.mustRegister("+79160001602"))
	assert.Equal(t, http.StatusNotFound, b.get("/cabinet/activity").status, "another account's log is not shown")
	assert.Equal(t, "/cabinet/activity", tokenBrowser(t, ts, id, tok).get("/cabinet/activity?from=x").header.Get("Location"))
}

// text is the page's body with its HTML escapes undone.
func text(p page) string { return html.UnescapeString(p.body) }

// mustRegister registers an account and returns its id.
func (ts *testServer) mustRegister(phone string) string {
	id, _ := ts.register(phone)
	return id
}

func TestWebCitizenMore_AFineIsPaidThroughTheTestGatewayOnce(t *testing.T) {
	ts := startServer(t, nil)
	id, tok := ts.karimov("+79160001701", newTestClock())
	b := tokenBrowser(t, ts, id, tok)
	page := b.get("/cabinet/fines")
	require.Equal(t, http.StatusOK, page.status, page.body)
	assert.Contains(t, text(page), "500.00 ₽", "the amount in roubles, not kopecks")
	assert.Contains(t, page.body, `value="`+speedingFine+`"`, "an unpaid fine has its pay button")
	assert.NotRegexp(t, `(href|action)="[^"]*`+speedingFine, page.body, "the fine's identifier is in no address")

	anon := newBrowser(t, ts)
	assert.Equal(t, "/signin", anon.post("/cabinet/fines/pay", url.Values{"fine": {speedingFine}}).header.Get("Location"))
	assert.Equal(t, http.StatusForbidden, b.post("/cabinet/fines/pay", url.Values{"fine": {speedingFine}}, "Origin", "https://evil.example").status)
	o, otok := ts.simplifiedApplicant("+79160001702")
	assert.Equal(t, http.StatusNotFound, tokenBrowser(t, ts, o, otok).post("/cabinet/fines/pay", url.Values{"fine": {speedingFine}}).status,
		"someone else's fine is not theirs to pay")
	assert.Contains(t, b.get("/cabinet/fines").body, `data-status="unpaid"`, "no refused request paid anything")

	paid := b.post("/cabinet/fines/pay", url.Values{"fine": {speedingFine}})
	require.Equal(t, http.StatusSeeOther, paid.status, paid.body)
	page = b.get("/cabinet/fines")
	assert.Contains(t, page.body, "test-", "the payment's transaction is listed")
	assert.Contains(t, page.body, "оплачен")
	again := b.post("/cabinet/fines/pay", url.Values{"fine": {speedingFine}})
	assert.Equal(t, http.StatusConflict, again.status)
	assert.Contains(t, again.body, "уже оплачен")
	l := ts.do("GET", "/v1/accounts/"+id+"/fines", tok, nil)
	assert.Len(t, fineByID(t, l, speedingFine)["payments"], 1, "paid once")
}
