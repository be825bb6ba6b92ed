package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/web"

	"github.com/kabinet/kabinet/readapi"
)

// TestOpenAPI_CoversEveryRoute walks the real router: every route it serves
// is documented in openapi.json with its method, and the document names no
// route that does not exist.
func TestOpenAPI_CoversEveryRoute(t *testing.T) {
	ts := startServer(t, nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(readapi.OpenAPI(), &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)

	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	// The web cabinet's pages share the router; they are HTML, not the API.
	pages := chi.NewRouter()
	web.New(web.Config{API: http.NotFoundHandler(), Transliterate: strings.ToUpper}).Routes(pages)
	isPage := routeSet(t, pages)
	served := map[string]bool{}
	// The reference page's own scripts are files, not the API.
	isPage["GET /docs/init.js"], isPage["GET /docs/redoc.standalone.js"] = true, true
	for r := range routeSet(t, ts.app.Handler.(chi.Routes)) {
		if !isPage[r] {
			served[r] = true
		}
	}
	require.NotEmpty(t, served)
	var missing, stale []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			stale = append(stale, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	assert.Empty(t, missing, "routes served but not in openapi.json")
	assert.Empty(t, stale, "routes in openapi.json that the server does not serve")

	a := ts.do("GET", "/openapi.json", "", nil)
	assert.Equal(t, 200, a.status)
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
}

// routeSet lists the "METHOD /pattern" routes of a router.
func routeSet(t *testing.T, routes chi.Routes) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(regexp.MustCompile(`/\*$`).ReplaceAllString(route, ""), "/")
		if route == "" {
			route = "/"
		}
		out[method+" "+route] = true
		return nil
	})
	require.NoError(t, err)
	return out
}
