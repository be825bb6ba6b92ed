package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
)

// apiAnswer is one answer of the JSON API.
type apiAnswer struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// problem is the API's problem+json as the pages show it.
type problem struct {
	Code   string
	Detail string
	Fields map[string]string // field → message, shown beside the field
}

// Problem reads the answer as a problem (Code empty when it is not one).
func (a apiAnswer) Problem() problem {
	p := problem{Fields: map[string]string{}}
	if a.Status < 400 {
		return p
	}
	p.Code, _ = a.Body["code"].(string)
	p.Detail, _ = a.Body["detail"].(string)
	if errs, ok := a.Body["errors"].([]any); ok {
		for _, e := range errs {
			if m, ok := e.(map[string]any); ok {
				f, _ := m["field"].(string)
				msg, _ := m["message"].(string)
				if _, seen := p.Fields[f]; !seen {
					p.Fields[f] = msg
				}
			}
		}
	}
	return p
}

// call sends one request to the API in-process, carrying the browser
// request's context (correlation id, deadline), client address and user
// agent, and the session's token.
func (s *Server) call(r *http.Request, method, path, token string, body any) apiAnswer {
	var rd io.Reader
	ctype, signature := "", ""
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		rd, ctype = bytes.NewReader(b.data), b.ctype
	case signedBody:
		rd, ctype, signature = bytes.NewReader(b.data), "application/json", b.signature
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return apiAnswer{Status: http.StatusInternalServerError}
		}
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	// A fresh routing context: the page's own must not steer the API's router.
	ctx := context.WithValue(r.Context(), chi.RouteCtxKey, (*chi.Context)(nil))
	req := httptest.NewRequestWithContext(ctx, method, path, rd)
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("User-Agent", r.UserAgent())
	req.Header.Set("Accept-Language", r.Header.Get("Accept-Language"))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if signature != "" { // the gateway's call, not the browser's
		req.Header.Set("X-Kabinet-Signature", signature)
		req.Header.Set("User-Agent", "kabinet-test-gateway")
	}
	if c, err := r.Cookie(cookiePosition); err == nil && method == http.MethodGet && c.Value != "" {
		req.Header.Set("X-Kabinet-Min-Position", c.Value)
	}
	rec := httptest.NewRecorder()
	s.cfg.API.ServeHTTP(rec, req)
	a := apiAnswer{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	_ = json.Unmarshal(a.Raw, &a.Body)
	return a
}

// signedBody is a JSON body sent as it is, with the payment gateway's
// signature of it and as the gateway (the embedded test gateway's calls).
type signedBody struct {
	data      []byte
	signature string
}

// multipartBody is a prepared multipart/form-data body.
type multipartBody struct {
	data  []byte
	ctype string
}

// str reads a string member of an answer.
func str(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}

// num reads a number member of an answer as its decimal text.
func num(m map[string]any, key string) string {
	if v, ok := m[key].(float64); ok {
		return fmt.Sprintf("%.0f", v)
	}
	return ""
}
