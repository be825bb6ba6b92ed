package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/readapi"
)

// fuzzRoute is one operation of openapi.json: a route family member that
// the fuzz targets send hostile input to.
type fuzzRoute struct {
	method, path string
	body         map[string]any // the request body's JSON schema, if any
	multipart    bool
}

// fuzzTarget is a wired service the fuzz targets call in-process, with an
// account whose id fills {id} and tokens of every role.
type fuzzTarget struct {
	handler http.Handler
	account string
	tokens  []string // citizen (owner), operator, auditor, security, admin, none
	routes  []fuzzRoute
}

var (
	fuzzOnce sync.Once
	fuzzT    *fuzzTarget
)

// fuzzService builds one service per process (fuzz workers are processes)
// over a fresh data dir; it stays up until the process ends.
func fuzzService(tb testing.TB) *fuzzTarget {
	fuzzOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kabinet-fuzz-")
		if err != nil {
			tb.Fatal(err)
		}
		c, _, err := parseConfig("serve", []string{"--data-dir", dir, "--rate-limit", "0", "--min-position-wait", "10ms"})
		if err != nil {
			tb.Fatal(err)
		}
		a, err := buildApp(context.Background(), c, io.Discard)
		if err != nil {
			tb.Fatal(err)
		}
		go a.Runner.Run(context.Background())
		go a.JournalWriter.Run(context.Background())
		ft := &fuzzTarget{handler: a.Handler, routes: openAPIRoutes(tb)}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/accounts", strings.NewReader(
			`{"surname":"Иванов","given_names":"Пётр","citizenship":"UZ","phone":"+79123459999","consent":{"personal_data":true,"version":"2026-01"}}`))
		req.Header.Set("Content-Type", "application/json")
		a.Handler.ServeHTTP(rec, req)
		var reg struct {
			AccountID string `json:"account_id"`
			Token     string `json:"token"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &reg); err != nil || reg.Token == "" {
			tb.Fatalf("register for fuzzing: %d %s", rec.Code, rec.Body)
		}
		ft.account = reg.AccountID
		ft.tokens = append(ft.tokens, reg.Token)
		for _, role := range []string{"operator", "auditor", "security", "admin"} {
			tok, err := a.Issuer.Mint(principal("fuzz-"+role, role, ""), time.Hour)
			if err != nil {
				tb.Fatal(err)
			}
			ft.tokens = append(ft.tokens, tok)
		}
		ft.tokens = append(ft.tokens, "")
		fuzzT = ft
	})
	if fuzzT == nil {
		tb.Fatal("fuzz service did not start")
	}
	return fuzzT
}

// openAPIRoutes lists every operation of the published document, sorted so a
// route index means the same route in every run.
func openAPIRoutes(tb testing.TB) []fuzzRoute {
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(readapi.OpenAPI(), &doc); err != nil {
		tb.Fatalf("openapi.json: %v", err)
	}
	var routes []fuzzRoute
	for path, ops := range doc.Paths {
		for method, op := range ops {
			switch method {
			case "get", "post", "put", "delete", "patch":
			default:
				continue
			}
			r := fuzzRoute{method: strings.ToUpper(method), path: path}
			if c, ok := op.RequestBody.Content["application/json"]; ok {
				r.body = c.Schema
			}
			_, r.multipart = op.RequestBody.Content["multipart/form-data"]
			routes = append(routes, r)
		}
	}
	sort.Slice(routes, func(i, j int) bool {
		return routes[i].path+routes[i].method < routes[j].path+routes[j].method
	})
	return routes
}

// url fills the route's path parameters: {id} with the fuzz account (or
// param when useParam), any other with param.
func (ft *fuzzTarget) url(r fuzzRoute, param string, useParam bool) string {
	segs := strings.Split(r.path, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		if s == "{id}" && !useParam {
			segs[i] = ft.account
		} else {
			segs[i] = url.PathEscape(param)
		}
	}
	return strings.Join(segs, "/")
}

// send serves req and fails on what no input may cause: a 500 (a panic is
// one too, through the recoverer), an error answer that is not
// problem+json, more than httpx.MaxFieldErrors field errors, or an answer
// too large to be an answer to this request.
func (ft *fuzzTarget) send(t *testing.T, req *http.Request) {
	t.Helper()
	rec := httptest.NewRecorder()
	ft.handler.ServeHTTP(rec, req)
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%s %s answered %d: %s", req.Method, req.URL, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		if ct := rec.Header().Get("Content-Type"); ct != httpx.ProblemContentType {
			t.Fatalf("%s %s: error %d as %q", req.Method, req.URL, rec.Code, ct)
		}
		var p struct {
			Errors []json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("%s %s: problem is not JSON: %v", req.Method, req.URL, err)
		}
		if len(p.Errors) > httpx.MaxFieldErrors {
			t.Fatalf("%s %s: %d field errors", req.Method, req.URL, len(p.Errors))
		}
		if rec.Body.Len() > 64<<10 {
			t.Fatalf("%s %s: a %d-byte error answer", req.Method, req.URL, rec.Body.Len())
		}
	}
}

func (ft *fuzzTarget) route(i uint8) fuzzRoute { return ft.routes[int(i)%len(ft.routes)] }

func (ft *fuzzTarget) token(i uint8) string { return ft.tokens[int(i)%len(ft.tokens)] }

// FuzzRouteBodies sends arbitrary JSON bodies to every operation that takes
// one, as each role; seeded with a body built from each operation's schema.
func FuzzRouteBodies(f *testing.F) {
	ft := fuzzService(f)
	for i, r := range ft.routes {
		if r.body == nil {
			continue
		}
		seed, _ := json.Marshal(exampleOf(r.body, 0))
		for role := range len(ft.tokens) {
			f.Add(uint8(i), uint8(role), seed)
		}
		f.Add(uint8(i), uint8(0), []byte(`{"`+strings.Repeat(`a":1,"`, 50)+`b":"\u0000"}`))
		f.Add(uint8(i), uint8(0), append([]byte(`{"x":"`), 0xff, '"', '}'))
	}
	f.Fuzz(func(t *testing.T, route, role uint8, body []byte) {
		r := ft.route(route)
		req := httptest.NewRequest(r.method, ft.url(r, "", false), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tok := ft.token(role); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		ft.send(t, req)
	})
}

// FuzzRoutePathsAndQueries puts arbitrary text in every path parameter and
// the query string of every operation.
func FuzzRoutePathsAndQueries(f *testing.F) {
	ft := fuzzService(f)
	for i := range ft.routes {
		f.Add(uint8(i), uint8(1), "01966b3a-0000-7000-8000-000000000000", "limit=2&cursor=abc")
		f.Add(uint8(i), uint8(0), "a\x00b", "status=%00&at=2026-02-30T00:00:00Z")
		f.Add(uint8(i), uint8(2), "\xff\xfe", "limit=-1&version=99999999999999999999&from=x&to=%ff")
		f.Add(uint8(i), uint8(3), strings.Repeat("9", 300), "seq=1&size=0&kind=applications;x")
	}
	f.Fuzz(func(t *testing.T, route, role uint8, param, query string) {
		r := ft.route(route)
		target := ft.url(r, param, role%2 == 0)
		req := httptest.NewRequest(r.method, "/", strings.NewReader("{}"))
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = "", "", query
		u, err := url.Parse(target)
		if err != nil {
			t.Skip("not a request line a server would accept")
		}
		req.URL.Path, req.URL.RawPath = u.Path, u.RawPath
		req.RequestURI = req.URL.RequestURI()
		req.Header.Set("Content-Type", "application/json")
		if tok := ft.token(role); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		ft.send(t, req)
	})
}

// fuzzHeaders are the headers the service reads.
var fuzzHeaders = []string{"Authorization", "Content-Type", "X-Kabinet-Min-Position", "Idempotency-Key",
	"User-Agent", "X-Forwarded-For", "X-Correlation-ID", "X-Kabinet-Signature", "Accept-Language"}

// FuzzRouteHeaders sets one header the service reads to arbitrary text on
// every operation.
func FuzzRouteHeaders(f *testing.F) {
	ft := fuzzService(f)
	for i := range ft.routes {
		for h := range fuzzHeaders {
			f.Add(uint8(i), uint8(h), uint8(0), "Bearer a.b.c")
			f.Add(uint8(i), uint8(h), uint8(1), strings.Repeat("x", 9000))
		}
		f.Add(uint8(i), uint8(2), uint8(0), "-1")
		f.Add(uint8(i), uint8(2), uint8(1), "18446744073709551616")
		f.Add(uint8(i), uint8(1), uint8(1), "multipart/form-data; boundary=")
	}
	f.Fuzz(func(t *testing.T, route, header, role uint8, value string) {
		if !httpguts.ValidHeaderFieldValue(value) {
			t.Skip("net/http refuses such a header before any handler")
		}
		r := ft.route(route)
		req := httptest.NewRequest(r.method, ft.url(r, "x", false), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if tok := ft.token(role); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req.Header.Set(fuzzHeaders[int(header)%len(fuzzHeaders)], value)
		ft.send(t, req)
	})
}

// FuzzRouteMultipart sends arbitrary meta and file parts, and arbitrary raw
// multipart bodies, to the operations that take multipart.
func FuzzRouteMultipart(f *testing.F) {
	ft := fuzzService(f)
	f.Add(uint8(0), []byte(`{"kind":"identity","type":"foreign_passport","number":"1234567","issued_at":"2020-01-15","expires_at":"2030-01-14","issuer":"MIA"}`),
		[]byte("%PDF-1.4\n%scan\n"), "application/pdf", false)
	f.Add(uint8(0), []byte(`{"kind":"identity","number":"a\u0000"}`), []byte{0xff, 0xd8, 0xff, 0xe0}, "image/jpeg", false)
	f.Add(uint8(1), []byte("--B\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{}\r\n--B--\r\n"), []byte{}, "", true)
	f.Add(uint8(2), []byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\x00\"\r\n\r\n"), []byte("x"), "", true)
	f.Fuzz(func(t *testing.T, role uint8, meta, file []byte, fileType string, raw bool) {
		var routes []fuzzRoute
		for _, r := range ft.routes {
			if r.multipart {
				routes = append(routes, r)
			}
		}
		if len(routes) == 0 {
			t.Skip("no multipart operation")
		}
		r := routes[int(role)%len(routes)]
		var body bytes.Buffer
		ctype := "multipart/form-data; boundary=B"
		if raw {
			body.Write(meta)
			body.Write(file)
		} else {
			mw := multipart.NewWriter(&body)
			mh := textproto.MIMEHeader{}
			mh.Set("Content-Disposition", `form-data; name="meta"`)
			mh.Set("Content-Type", "application/json")
			pw, _ := mw.CreatePart(mh)
			pw.Write(meta) //nolint:errcheck // a bytes.Buffer
			fh := textproto.MIMEHeader{}
			fh.Set("Content-Disposition", `form-data; name="file"; filename="scan"`)
			if httpguts.ValidHeaderFieldValue(fileType) && fileType != "" {
				fh.Set("Content-Type", fileType)
			}
			fw, _ := mw.CreatePart(fh)
			fw.Write(file) //nolint:errcheck // a bytes.Buffer
			mw.Close()
			ctype = mw.FormDataContentType()
		}
		req := httptest.NewRequest(r.method, ft.url(r, "", false), &body)
		req.Header.Set("Content-Type", ctype)
		if tok := ft.token(role); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		ft.send(t, req)
	})
}

// exampleOf builds a value that fits a JSON schema fragment of openapi.json:
// its example when it has one, else the first enum value, else a value of
// its type with every property filled.
func exampleOf(schema map[string]any, depth int) any {
	if ex, ok := schema["example"]; ok {
		return ex
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	if depth > 6 {
		return nil
	}
	typ, _ := schema["type"].(string)
	if ts, ok := schema["type"].([]any); ok && len(ts) > 0 {
		typ, _ = ts[0].(string)
	}
	switch typ {
	case "object", "":
		props, _ := schema["properties"].(map[string]any)
		out := map[string]any{}
		for name, p := range props {
			if ps, ok := p.(map[string]any); ok {
				out[name] = exampleOf(ps, depth+1)
			}
		}
		return out
	case "array":
		items, _ := schema["items"].(map[string]any)
		return []any{exampleOf(items, depth+1)}
	case "string":
		switch schema["format"] {
		case "date":
			return "2026-12-01"
		case "date-time":
			return "2026-12-01T10:00:00Z"
		case "uuid":
			return "01966b3a-0000-7000-8000-000000000000"
		}
		return "Иванов"
	case "integer", "number":
		return 1
	case "boolean":
		return true
	}
	return fmt.Sprint(typ)
}
