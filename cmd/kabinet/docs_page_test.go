package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDocs_TheReferencePageAndItsScriptsComeFromTheBinary(t *testing.T) {
	ts := startServer(t, nil)
	doc := ts.do("GET", "/docs", "", nil)
	require.Equal(t, http.StatusOK, doc.status)
	assert.Equal(t, "text/html; charset=utf-8", doc.header.Get("Content-Type"))
	csp := doc.header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "script-src 'self';", "no script from elsewhere, none inline")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	html := string(doc.raw)
	assert.Contains(t, html, `<script src="/docs/redoc.standalone.js"></script>`)
	assert.NotContains(t, html, "https://", "nothing is fetched from outside")
	assert.NotContains(t, strings.ReplaceAll(html, `<script src=`, ""), "<script>", "no inline script")

	bundle := ts.do("GET", "/docs/redoc.standalone.js", "", nil)
	require.Equal(t, http.StatusOK, bundle.status)
	assert.Equal(t, "text/javascript; charset=utf-8", bundle.header.Get("Content-Type"))
	assert.Equal(t, "nosniff", bundle.header.Get("X-Content-Type-Options"))
	assert.Greater(t, len(bundle.raw), 500_000, "the whole Redoc bundle")
	initJS := ts.do("GET", "/docs/init.js", "", nil)
	require.Equal(t, http.StatusOK, initJS.status)
	assert.Contains(t, string(initJS.raw), `Redoc.init("/openapi.json"`)
	assert.Equal(t, http.StatusNotFound, ts.do("GET", "/docs/other.js", "", nil).status)
}

// TestDocs_TheReferenceRendersInABrowserWithinItsPolicy opens /docs in
// Chromium: Redoc renders the document's title and operations within the
// page's Content-Security-Policy.
func TestDocs_TheReferenceRendersInABrowserWithinItsPolicy(t *testing.T) {
	ctx := headless(t)
	ts := startServer(t, nil)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var title string
	var violations []string
	err := chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := cdppage.AddScriptToEvaluateOnNewDocument(`window.__csp = []; document.addEventListener("securitypolicyviolation",
				e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`).Do(ctx)
			return err
		}),
		chromedp.Navigate(ts.srv.URL+"/docs"),
		chromedp.WaitVisible(`h1`, chromedp.ByQuery),
		chromedp.Text(`h1`, &title, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-section-id^="tag/"]`, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Evaluate(`window.__csp`, &violations),
		shotWith("api-reference", func(png *[]byte) chromedp.Action { return chromedp.CaptureScreenshot(png) }),
	)
	require.NoError(t, err)
	assert.Contains(t, title, "Kabinet API")
	// Redoc's sidebar links its attribution logo on Redocly's CDN; the
	// policy blocks it (Redoc then shows the text alone), so the page
	// fetches nothing from outside. Anything else blocked is a defect.
	var unexpected []string
	for _, v := range violations {
		if v != "img-src https://cdn.redoc.ly/redoc/logo-mini.svg" {
			unexpected = append(unexpected, v)
		}
	}
	assert.Empty(t, unexpected, "the page works within its Content-Security-Policy")
}
