package readapi

import (
	"embed"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// docsFS holds the API reference page: its HTML, the script that starts
// Redoc, and Redoc's standalone bundle (see docs/README.md).
//
//go:embed docs/index.html docs/init.js docs/redoc.standalone.js
var docsFS embed.FS

// DocsPolicy is the Content-Security-Policy of the reference page: scripts
// from this origin only; Redoc injects its styles (style-src
// 'unsafe-inline') and runs its search in a worker from a blob.
const DocsPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; worker-src blob:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// docsRoutes mounts GET /docs (the reference rendered from /openapi.json)
// and its two scripts.
func docsRoutes(r chi.Router) {
	file := func(name, ctype, cache string) http.HandlerFunc {
		body, err := docsFS.ReadFile(name)
		if err != nil {
			panic(err) // embedded at build time
		}
		return func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			h.Set("Content-Security-Policy", DocsPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", cache)
			_, _ = w.Write(body)
		}
	}
	r.Get("/docs", file("docs/index.html", "text/html; charset=utf-8", "no-cache"))
	r.Get("/docs/init.js", file("docs/init.js", "text/javascript; charset=utf-8", "no-cache"))
	r.Get("/docs/redoc.standalone.js", file("docs/redoc.standalone.js", "text/javascript; charset=utf-8", "public, max-age=86400"))
}
