package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth/oidctest"
)

// chromium finds Debian's Chromium, or skips loudly (fails under
// KABINET_REQUIRE_BROWSER=1, as in CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("KABINET_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("KABINET_REQUIRE_BROWSER") == "1" {
		t.Fatal("a browser is required (KABINET_REQUIRE_BROWSER=1) but Chromium is not installed: apt-get install -y chromium")
	}
	t.Skip("!!! SKIPPING: Chromium not installed (apt-get install -y chromium); the browser tests did not run")
	return ""
}

// headless starts a headless Chromium for the test, with the flags this
// machine's closed network needs, and a fresh profile.
func headless(t *testing.T) context.Context {
	t.Helper()
	profile, err := os.MkdirTemp("", "kabinet-chromium-")
	require.NoError(t, err)
	t.Cleanup(func() { // after the browser has stopped (cleanups run last first)
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Run(ctx); err != nil { // start the browser now
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		var html, loc string
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = chromedp.Run(c, chromedp.Location(&loc), chromedp.OuterHTML("main", &html, chromedp.ByQuery))
		t.Logf("the page at failure (%s):\n%s", loc, html)
	})
	return ctx
}

// shot saves a screenshot of the page to KABINET_SCREENSHOTS (when set),
// for docs/.
func shot(name string) chromedp.Action {
	return shotWith(name, func(png *[]byte) chromedp.Action { return chromedp.FullScreenshot(png, 100) })
}

// shotWith is shot with capture taking the picture (the whole page, or
// only the window of a long one).
func shotWith(name string, capture func(*[]byte) chromedp.Action) chromedp.Action {
	dir := os.Getenv("KABINET_SCREENSHOTS")
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if dir == "" {
			return nil
		}
		var png []byte
		if err := capture(&png).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// TestWebE2E_CitizenFromRegistrationToAnApprovedApplication drives a real
// Chromium through the pages as a person would: register (with consent),
// confirm the phone with the code from the outbox, enter personal data
// (the Latin preview appears while typing), upload a passport scan, file
// an application from the catalog's form; an operator approves it; the
// citizen sees the status and its history.
func TestWebE2E_CitizenFromRegistrationToAnApprovedApplication(t *testing.T) {
	bctx := headless(t)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	ts := startServer(t, nil)
	base := ts.srv.URL
	app := citizenFilesAnApplication(t, ctx, ts)
	op := ts.operatorToken()
	for _, step := range []string{"accept", "start-review", "approve"} {
		a := ts.do("POST", "/v1/applications/"+app+"/"+step, op, nil)
		require.Equal(t, 200, a.status, "%s: %s", step, a.raw)
	}
	assert.Equal(t, "approved", citizenSeesStatus(t, ctx, base, app, "approved"))
	require.NoError(t, chromedp.Run(ctx, shot("application-status")))
	var steps int
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll(".timeline li").length`, &steps)))
	assert.GreaterOrEqual(t, steps, 4, "the history shows every status change")
}

// citizenSeesStatus reloads the citizen's application page until it shows
// want (the read side catches up within moments) and returns the status
// it shows last.
func citizenSeesStatus(t *testing.T, ctx context.Context, base, app, want string) string {
	t.Helper()
	var status string
	for range 80 {
		require.NoError(t, chromedp.Run(ctx,
			chromedp.Navigate(base+"/applications/"+app),
			chromedp.WaitVisible("strong.status", chromedp.ByQuery),
			chromedp.AttributeValue("strong.status", "data-status", &status, nil, chromedp.ByQuery),
		))
		if status == want {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	return status
}

// citizenFilesAnApplication drives the browser through a citizen's
// registration (with consent), the phone's confirmation with the code
// from the outbox, personal data (the Latin preview appears while typing),
// a passport scan's upload and a certificate application from the
// catalog's form; it returns the application's id.
func citizenFilesAnApplication(t *testing.T, ctx context.Context, ts *testServer) string {
	t.Helper()
	base := ts.srv.URL
	scan := filepath.Join(t.TempDir(), "passport.pdf")
	require.NoError(t, os.WriteFile(scan, []byte("%PDF-1.4\n% a scan\n"), 0o600))

	var level string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/register"),
		shot("register"),
		chromedp.SendKeys("#surname", "Каримов", chromedp.ByQuery),
		chromedp.SendKeys("#given_names", "Азиз", chromedp.ByQuery),
		chromedp.SendKeys("#citizenship", "UZ", chromedp.ByQuery),
		chromedp.SendKeys("#phone", "+79123457100", chromedp.ByQuery),
		chromedp.Click("#consent", chromedp.ByQuery),
		chromedp.Submit("#surname", chromedp.ByQuery),
		chromedp.WaitVisible("#code", chromedp.ByQuery),
	))
	var account string
	require.NoError(t, chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		account = ts.accountByPhone("+79123457100")
		return nil
	})))
	require.NotEmpty(t, account, "the registration reached the API")
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys("#code", ts.lastCode(account), chromedp.ByQuery),
		chromedp.Submit("#code", chromedp.ByQuery),
		chromedp.WaitVisible(".level", chromedp.ByQuery),
		chromedp.AttributeValue(".level", "data-level", &level, nil, chromedp.ByQuery),
		shot("cabinet"),
	))
	assert.Equal(t, "simplified", level)

	var latin string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/cabinet/personal-data"),
		chromedp.WaitVisible("#surname", chromedp.ByQuery),
		chromedp.Clear("#surname", chromedp.ByQuery),
		chromedp.SendKeys("#surname", "Каримов", chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("surname-latin").textContent !== ""`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text("#surname-latin", &latin, chromedp.ByQuery),
		chromedp.SendKeys("#birth_date", "12.03.1990", chromedp.ByQuery),
		chromedp.SendKeys("#birth_country", "UZ", chromedp.ByQuery),
		chromedp.SendKeys("#birth_city", "Ташкент", chromedp.ByQuery),
		chromedp.SendKeys("#region", "Москва", chromedp.ByQuery),
		chromedp.SendKeys("#city", "Москва", chromedp.ByQuery),
		chromedp.SendKeys("#street", "Тверская", chromedp.ByQuery),
		chromedp.SendKeys("#house", "1", chromedp.ByQuery),
		chromedp.SendKeys("#postal_code", "125009", chromedp.ByQuery),
		shot("personal-data"),
		chromedp.Submit("#surname", chromedp.ByQuery),
		chromedp.WaitVisible(".level", chromedp.ByQuery),
	))
	assert.Equal(t, "KARIMOV", strings.ToUpper(latin), "the Latin preview follows the seed's table")

	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/cabinet/documents"),
		chromedp.WaitVisible("#number", chromedp.ByQuery),
		chromedp.SendKeys("#type", "foreign_passport", chromedp.ByQuery),
		chromedp.SendKeys("#series", "FA", chromedp.ByQuery),
		chromedp.SendKeys("#number", "1234567", chromedp.ByQuery),
		chromedp.SendKeys("#issued_at", "15.01.2020", chromedp.ByQuery),
		chromedp.SendKeys("#expires_at", "14.01.2030", chromedp.ByQuery),
		chromedp.SendKeys("#issuer", "MIA Uzbekistan", chromedp.ByQuery),
		chromedp.SetUploadFiles("#file", []string{scan}, chromedp.ByQuery),
		chromedp.Submit("#number", chromedp.ByQuery),
		chromedp.WaitVisible(".level", chromedp.ByQuery),
	))

	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/services/certificate"),
		chromedp.WaitVisible("#purpose", chromedp.ByQuery),
		chromedp.SendKeys("#purpose", "Для работодателя", chromedp.ByQuery),
		shot("application-form"),
		chromedp.Submit("#purpose", chromedp.ByQuery),
		chromedp.WaitVisible(".timeline", chromedp.ByQuery),
	))
	var location string
	require.NoError(t, chromedp.Run(ctx, chromedp.Location(&location)))
	app := location[strings.LastIndex(location, "/")+1:]
	return app
}

// accountByPhone is the account the newest outbox entry to phone belongs to.
func (ts *testServer) accountByPhone(phone string) string {
	ts.t.Helper()
	raw, err := os.ReadFile(filepath.Join(ts.dataDir, "outbox.jsonl"))
	require.NoError(ts.t, err)
	account := ""
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var n struct {
			To        string `json:"to"`
			AccountID string `json:"account_id"`
		}
		if json.Unmarshal([]byte(line), &n) == nil && n.To == phone {
			account = n.AccountID
		}
	}
	return account
}

// waitPath waits until the browser's page is at path (a sign-in ends on a
// page that moves on by itself).
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	var loc string
	for range 100 {
		if chromedp.Run(ctx, chromedp.Location(&loc)) == nil && strings.HasSuffix(strings.SplitN(loc, "?", 2)[0], path) {
			var ready bool
			if chromedp.Run(ctx, chromedp.Evaluate(`document.readyState === "complete" && !!document.querySelector("main")`, &ready)) == nil && ready {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the browser is at %s, not %s", loc, path)
}

// staffSignsIn signs the browser in through the provider double as sub
// with role, and waits for the role's first page.
func staffSignsIn(t *testing.T, ctx context.Context, idp *oidctest.ProviderDouble, base, sub, role, home string) {
	t.Helper()
	idp.SignInAs(idp.StaffClaims(sub, role, "kabinet"))
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(base+"/staff/signin")))
	waitPath(t, ctx, home)
}

// TestWebE2E_OperatorApprovesInTheBrowserAndAnAuditorChecksTheProofs runs
// the citizen's steps, then an operator signs in through the identity
// provider (the OIDC double: code flow with PKCE in the real browser),
// finds the application in the queue, opens the case and approves it in
// three decisions; the citizen sees it approved; an auditor opens the
// citizen's timeline and every event's proof verifies in the page; the
// security team's journal shows the signed checkpoint.
func TestWebE2E_OperatorApprovesInTheBrowserAndAnAuditorChecksTheProofs(t *testing.T) {
	bctx := headless(t)
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	idp := oidctest.NewProviderDouble(t)
	ts := startServer(t, map[string]string{"oidc-issuer": idp.Issuer(), "oidc-audience": "kabinet"})
	base := ts.srv.URL
	app := citizenFilesAnApplication(t, ctx, ts)
	account := ts.accountByPhone("+79123457100")

	staffSignsIn(t, ctx, idp, base, "op-e2e", "operator", "/staff/queue")
	link := `a[href="/staff/cases/` + app + `"]`
	var listed bool
	for range 80 {
		require.NoError(t, chromedp.Run(ctx,
			chromedp.Navigate(base+"/staff/queue?kind=applications"),
			chromedp.WaitVisible("main", chromedp.ByQuery),
			chromedp.Evaluate(`!!document.querySelector('`+link+`')`, &listed)))
		if listed {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.True(t, listed, "the queue lists the application")
	var status string
	require.NoError(t, chromedp.Run(ctx,
		shot("staff-queue"),
		chromedp.Click(link, chromedp.ByQuery),
		chromedp.WaitVisible("#do-accept", chromedp.ByQuery),
		shot("staff-case"),
		chromedp.Click("#do-accept", chromedp.ByQuery),
		chromedp.WaitVisible("#do-start-review", chromedp.ByQuery),
		chromedp.Click("#do-start-review", chromedp.ByQuery),
		chromedp.WaitVisible("#do-approve", chromedp.ByQuery),
		chromedp.SendKeys("#approve-comment", "Справка готова", chromedp.ByQuery),
		shot("staff-decision"),
		chromedp.Click("#do-approve", chromedp.ByQuery),
		chromedp.WaitVisible(`strong.status[data-status="approved"]`, chromedp.ByQuery),
		chromedp.AttributeValue("strong.status", "data-status", &status, nil, chromedp.ByQuery),
	))
	assert.Equal(t, "approved", status, "the operator's page shows the decision")

	assert.Equal(t, "approved", citizenSeesStatus(t, ctx, base, app, "approved"), "the citizen sees it approved")

	staffSignsIn(t, ctx, idp, base, "aud-e2e", "auditor", "/staff/audit")
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible("#account", chromedp.ByQuery),
		chromedp.SendKeys("#account", account, chromedp.ByQuery),
		chromedp.Click("#open-history", chromedp.ByQuery),
		chromedp.WaitVisible(".proofs", chromedp.ByQuery),
	))
	var proofs map[string]string
	for range 80 { // the journal signs a checkpoint over the last events within seconds
		require.NoError(t, chromedp.Run(ctx,
			chromedp.Navigate(base+"/staff/audit/"+account),
			chromedp.WaitVisible(".proofs", chromedp.ByQuery),
			chromedp.Evaluate(`Object.assign({}, document.querySelector(".proofs").dataset)`, &proofs)))
		if proofs["pending"] == "0" {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	assert.Equal(t, "0", proofs["pending"], "every event under the checkpoint")
	assert.Equal(t, "0", proofs["failed"], "no proof fails")
	assert.NotEqual(t, "0", proofs["verified"])
	var approved bool
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Evaluate(`[...document.querySelectorAll('.audit li[data-proof="verified"] strong')].some(e => e.textContent === "ApplicationApproved")`, &approved),
		shot("staff-timeline"),
	))
	assert.True(t, approved, "the approval is on the timeline, proven")

	staffSignsIn(t, ctx, idp, base, "sec-e2e", "security", "/staff/journal")
	var signed string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(".checkpoint-status", chromedp.ByQuery),
		chromedp.AttributeValue(".checkpoint-status", "data-signed", &signed, nil, chromedp.ByQuery),
		shot("staff-journal"),
	))
	assert.Equal(t, "true", signed)
}
