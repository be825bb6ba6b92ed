// Package httpx is Kabinet's HTTP edge: RFC 9457 problem+json answers, the
// one table that maps error codes to statuses, and strict JSON request
// decoding. Handlers pass every error to WriteError and nothing else decides
// a status.
package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"

	"github.com/kabinet/kabinet/domain"
)

// ProblemContentType is the media type of error answers (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail with Kabinet's stable machine Code
// and field errors. Extra members (attempts_left, retry_after, from, to …)
// are written at the top level beside the standard ones.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Code   string              `json:"code"`
	Errors []domain.FieldError `json:"errors,omitempty"`
	Extra  map[string]any      `json:"-"`
}

// reserved are the members Extra may not override.
var reserved = map[string]bool{"type": true, "title": true, "status": true, "detail": true, "code": true, "errors": true}

// MarshalJSON writes the standard members, then Extra's members in key order
// (skipping any that would shadow a standard member).
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	base, err := json.Marshal(plain(p))
	if err != nil {
		return nil, fmt.Errorf("marshal problem: %w", err)
	}
	if len(p.Extra) == 0 {
		return base, nil
	}
	keys := make([]string, 0, len(p.Extra))
	for k := range p.Extra {
		if !reserved[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.Write(base[:len(base)-1]) // without the closing brace
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(p.Extra[k])
		if err != nil {
			return nil, fmt.Errorf("marshal problem member %q: %w", k, err)
		}
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// NewProblem builds a problem for status and code with the standard title.
// Type is about:blank: Code, not a URI, is the machine-readable kind.
func NewProblem(status int, code, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// WriteProblem sends p as application/problem+json with p.Status.
func WriteProblem(w http.ResponseWriter, p Problem) {
	body, err := json.Marshal(p)
	if err != nil {
		// Only an Extra value that cannot be marshalled gets here; answer
		// without the extras rather than with nothing.
		p.Extra = nil
		body, _ = json.Marshal(p)
	}
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n')) //nolint:errcheck // the client is gone; nothing to do
}

// WriteEncodedJSON answers 200 with body, JSON encoded before (and kept),
// with its length.
func WriteEncodedJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body) //nolint:errcheck // the client is gone; nothing to do
}

// WriteJSON sends v as application/json with status. v must marshal: a
// failure is a programming error and answers 500 internal.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode JSON answer", "err", err)
		WriteProblem(w, NewProblem(http.StatusInternalServerError, CodeInternal, "the server could not encode its answer"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n')) //nolint:errcheck // the client is gone; nothing to do
}
