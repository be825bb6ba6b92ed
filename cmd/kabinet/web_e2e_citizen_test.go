package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

// signedIn gives the browser the session of account id with token tok,
// as the sign-in page would have left it (HttpOnly, SameSite=Strict),
// its pages reading at least what the store holds now.
func signedIn(ts *testServer, id, tok string) chromedp.Action {
	base, head := ts.srv.URL, ts.head()
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for name, value := range map[string]string{"kabinet_token": tok, "kabinet_account": id, "kabinet_position": head} {
			if err := network.SetCookie(name, value).WithURL(base).WithPath("/").WithHTTPOnly(true).
				WithSameSite(network.CookieSameSiteStrict).Do(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// levelShown is the level the cabinet page shows, reloading it until it
// shows want (the read side catches up within moments) or time is up.
func levelShown(t *testing.T, ctx context.Context, base, want string) string {
	t.Helper()
	var level string
	for range 40 {
		require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(base+"/cabinet"),
			chromedp.WaitVisible(".level", chromedp.ByQuery),
			chromedp.AttributeValue(".level", "data-level", &level, nil, chromedp.ByQuery)))
		if level == want {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	return level
}

// TestWebE2E_IdentityVerifiedByElectronicSignature drives a real Chromium
// through verification by electronic signature as a person does it: ask
// for it, download the challenge file, sign it (here with a certificate
// of the server's test CA, as `kabinet esign test-cert` issues one and
// `openssl cms -sign` would sign), upload the signature; the cabinet then
// shows the confirmed level.
func TestWebE2E_IdentityVerifiedByElectronicSignature(t *testing.T) {
	bctx := headless(t)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	ts := startServer(t, nil)
	base := ts.srv.URL
	id, tok := ts.standardAccount("+79160002001", 81)
	downloads := t.TempDir()

	done := make(chan string, 1)
	onDownload := func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	}
	chromedp.ListenTarget(ctx, onDownload)
	chromedp.ListenBrowser(ctx, onDownload)

	require.NoError(t, chromedp.Run(ctx, signedIn(ts, id, tok)))
	assert.Equal(t, "standard", levelShown(t, ctx, base, "standard"))
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/cabinet/verification"),
		chromedp.WaitVisible("#method-e_signature", chromedp.ByQuery),
		chromedp.Click("#method-e_signature", chromedp.ByQuery),
		chromedp.Submit("#method-e_signature", chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/cabinet/verification/challenge"]`, chromedp.ByQuery),
		shot("verification"),
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).
			WithDownloadPath(downloads).WithEventsEnabled(true),
		chromedp.Click(`a[href="/cabinet/verification/challenge"]`, chromedp.ByQuery),
	))
	var guid string
	select {
	case guid = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the challenge file was not downloaded")
	}
	challenge, err := os.ReadFile(filepath.Join(downloads, guid))
	require.NoError(t, err)
	require.Len(t, challenge, 32, "the challenge's raw bytes")

	key := ecKey(t)
	der, err := base64.StdEncoding.DecodeString(cmsSign(t, challenge, ts.testCACert(t, "Иванов Пётр", key), key))
	require.NoError(t, err)
	sigFile := filepath.Join(t.TempDir(), "challenge.bin.p7s")
	require.NoError(t, os.WriteFile(sigFile, der, 0o600))

	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetUploadFiles("#signature", []string{sigFile}, chromedp.ByQuery),
		chromedp.Submit("#signature", chromedp.ByQuery),
		chromedp.WaitVisible(".level", chromedp.ByQuery),
	))
	assert.Equal(t, "confirmed", levelShown(t, ctx, base, "confirmed"), "the cabinet shows the confirmed level")
	require.NoError(t, chromedp.Run(ctx, shot("cabinet-confirmed")))
	assert.Equal(t, "confirmed", ts.level(id))
}

// TestWebE2E_CitizenBooksAVisitWritesToSupportAndChangesThePhone drives a
// real Chromium through the desk's pages: book a visit from the free
// slots (its ticket and QR code appear), open a support request and reply
// in its thread, replace the phone with a new one confirmed by its code,
// mark a notification read and read the activity log.
func TestWebE2E_CitizenBooksAVisitWritesToSupportAndChangesThePhone(t *testing.T) {
	bctx := headless(t)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	ts := startServer(t, nil)
	base := ts.srv.URL
	p := ts.confirmedApplicant("+79160002101")
	day := ts.bookableDay(visitOffice)

	var status string
	require.NoError(t, chromedp.Run(ctx, signedIn(ts, p.id, p.token),
		chromedp.Navigate(base+"/cabinet/appointments"),
		chromedp.WaitVisible("#office", chromedp.ByQuery),
		chromedp.SetValue("#office", visitOffice, chromedp.ByQuery),
		chromedp.SetValue("#purpose", domain.ServiceCertificate, chromedp.ByQuery),
		chromedp.SetValue("#date", day, chromedp.ByQuery),
		chromedp.Submit("#date", chromedp.ByQuery),
		chromedp.WaitVisible("#slot-2", chromedp.ByQuery),
		chromedp.Click("#slot-2", chromedp.ByQuery),
		chromedp.Click("#doc-0", chromedp.ByQuery),
		shot("appointments"),
		chromedp.Submit("#slot-2", chromedp.ByQuery),
		chromedp.WaitVisible("figure img", chromedp.ByQuery),
		chromedp.AttributeValue("strong.status", "data-status", &status, nil, chromedp.ByQuery),
		shot("appointment"),
	))
	assert.Equal(t, "ready_for_visit", status)
	assert.NoError(t, chromedp.Run(ctx, chromedp.Poll(`document.querySelector("figure img").naturalWidth > 0`, nil,
		chromedp.WithPollingTimeout(10*time.Second))), "the QR code image loads")

	var messages int
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/cabinet/support"),
		chromedp.WaitVisible("#topic", chromedp.ByQuery),
		chromedp.SendKeys("#topic", "Запись на приём", chromedp.ByQuery),
		chromedp.SendKeys("#text", "Можно ли прийти с переводчиком?", chromedp.ByQuery),
		chromedp.Submit("#text", chromedp.ByQuery),
		chromedp.WaitVisible(`a[href^="/cabinet/support/"]`, chromedp.ByQuery),
		chromedp.Click(`a[href^="/cabinet/support/"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".thread", chromedp.ByQuery),
		chromedp.SendKeys("#text", "Переводчик — мой брат.", chromedp.ByQuery),
		chromedp.Submit("#text", chromedp.ByQuery),
		chromedp.WaitVisible(".thread li:nth-child(2)", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll(".thread li").length`, &messages),
		shot("support-thread"),
	))
	assert.Equal(t, 2, messages, "the request's text and the reply")

	var shown string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/cabinet/contacts"),
		chromedp.WaitVisible("#value", chromedp.ByQuery),
		chromedp.Click("#channel-phone", chromedp.ByQuery),
		chromedp.SendKeys("#value", "+79160002102", chromedp.ByQuery),
		chromedp.SetValue("#replaces", "+79160002101", chromedp.ByQuery),
		chromedp.Submit("#value", chromedp.ByQuery),
		chromedp.WaitVisible("#code-1", chromedp.ByQuery),
		shot("contacts"),
	))
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys("#code-1", ts.codeTo("+79160002102"), chromedp.ByQuery),
		chromedp.Submit("#code-1", chromedp.ByQuery),
		chromedp.WaitNotPresent("#code-1", chromedp.ByQuery),
		chromedp.Text("ul.contacts", &shown, chromedp.ByQuery),
	))
	assert.Contains(t, shown, "+79160002102")
	assert.NotContains(t, shown, "+79160002101", "the new phone replaced the old one")

	var unread int
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/cabinet/notifications"),
		chromedp.Poll(`document.querySelectorAll("li.unread button").length > 0`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.querySelectorAll("li.unread").length`, &unread),
		chromedp.Click("li.unread button", chromedp.ByQuery),
		chromedp.WaitVisible(".read", chromedp.ByQuery),
		shot("notifications"),
	))
	var after int
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll("li.unread").length`, &after)))
	assert.Equal(t, unread-1, after, "one notification fewer is unread")

	want := []string{"BookAppointment", "OpenSupportRequest", "PostSupportMessage", "AddContact"}
	var actions string
	for range 40 { // the journal writer takes the entries within moments
		require.NoError(t, chromedp.Run(ctx,
			chromedp.Navigate(base+"/cabinet/activity"),
			chromedp.WaitVisible("table", chromedp.ByQuery),
			chromedp.Evaluate(`Array.from(document.querySelectorAll("tr.entry")).map(e => e.dataset.action).join(" ")`, &actions),
		))
		if strings.Contains(actions, want[len(want)-1]) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.NoError(t, chromedp.Run(ctx, shot("activity")))
	for _, a := range want {
		assert.True(t, strings.Contains(actions, a), "the log lists %s: %s", a, actions)
	}
}
