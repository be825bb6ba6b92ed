package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/readapi"
)

// The contract: every request a component test sends to the API, and every
// answer it gets, is checked against readapi/openapi.json, so an answer that
// drifts from the document (a field renamed, null for a list, a status the
// route does not document) fails the test that saw it.
//
//   - A request the document accepts may still be refused by the server (a
//     domain rule, a wrong token); a request the document refuses must be
//     refused by the server with a 4xx: tests send hostile input on purpose.
//   - Every answer, refusals included, must match the document: a status the
//     operation does not list is an error, and so is a body its schema refuses.
//   - A path the document does not describe must be answered 404 or 405.

// contractDoc is the document, loaded and checked once per test binary.
var contractDoc = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(readapi.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	// The document's servers name where Kabinet is deployed; tests serve it
	// on a random local port, so routing ignores the host.
	doc.Servers = nil
	return gorillamux.NewRouter(doc)
})

// notAPI tells the paths served beside the API that the document does not
// describe as JSON operations, so they are not checked against it:
//   - the web cabinet's HTML pages and forms (everything outside /v1/ and the
//     operational endpoints) and their static files under /static/;
//   - /metrics, whose body is Prometheus's text format, owned by its client
//     library;
//   - /debug/pprof/, served only on the admin address;
//   - /docs, the HTML reference page built from the document (its own test
//     checks it).
func notAPI(path string) bool {
	switch {
	case strings.HasPrefix(path, "/v1/"):
		return false
	case path == "/metrics" || strings.HasPrefix(path, "/debug/"):
		return true
	}
	switch path {
	case "/healthz", "/readyz", "/openapi.json":
		return false
	}
	return true
}

// contractAuth checks that a request carries the credential a security
// scheme names; whether it verifies is the server's business (401).
func contractAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s, req := in.SecurityScheme, in.RequestValidationInput.Request
	switch {
	case s.Type == "http" && s.Scheme == "bearer":
		if !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
			return errors.New("no bearer token")
		}
	case s.Type == "apiKey" && s.In == "header":
		if req.Header.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %s of type %s is not checked by the tests", in.SecuritySchemeName, s.Type)
	}
	return nil
}

// checkContract checks one exchange against the document. req is the request
// as sent (its body already consumed), reqBody its body, status, header and
// respBody the answer.
func checkContract(t testing.TB, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) {
	t.Helper()
	if notAPI(req.URL.Path) {
		return
	}
	router, err := contractDoc()
	require.NoError(t, err)
	what := fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), status)
	// Routing and parameter checks read the request, not the network; a copy
	// with its body restored is validated.
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(r)
	if err != nil {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			t.Errorf("contract: %s: the route is not in openapi.json (%v), yet the server did not answer 404/405", what, err)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: contractAuth, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && (status < 400 || status >= 500) {
		t.Errorf("contract: %s: openapi.json refuses the request, the server did not:\n%v\nrequest body: %s", what, err, clip(reqBody))
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(respBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("contract: %s (operation %s): the answer does not match openapi.json:\n%v\nanswer (%s): %s",
			what, route.Operation.OperationID, err, header.Get("Content-Type"), clip(respBody))
	}
}

// clip shortens a body for a failure message.
func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// contractDo sends req with client (http.DefaultClient when nil), reads the
// whole answer and checks the exchange against the document. The answer's
// body is returned read; resp.Body is already closed.
func contractDo(t testing.TB, client *http.Client, req *http.Request) (*http.Response, []byte, error) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp, raw, err
	}
	checkContract(t, req, reqBody, resp.StatusCode, resp.Header, raw)
	return resp, raw, nil
}

// TestContract_DocumentLoads: openapi.json is a valid OpenAPI document that
// kin-openapi can route with.
func TestContract_DocumentLoads(t *testing.T) {
	_, err := contractDoc()
	require.NoError(t, err)
}
