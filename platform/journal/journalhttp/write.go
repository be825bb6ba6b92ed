package journalhttp

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// problemBody is an RFC 9457 problem with Kabinet's machine code.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

// problem answers application/problem+json.
func problem(w http.ResponseWriter, status int, code, detail string) {
	body, _ := json.Marshal(problemBody{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code,
	})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n')) //nolint:errcheck // the client is gone; nothing to do
}

func badRequest(w http.ResponseWriter, code, detail string) {
	problem(w, http.StatusBadRequest, code, detail)
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		problem(w, http.StatusInternalServerError, "internal", "the server could not encode its answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n')) //nolint:errcheck // the client is gone; nothing to do
}

// writeText answers a signed note or key as text/plain.
func writeText(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(b) //nolint:errcheck // the client is gone; nothing to do
}

// uintParam parses a required non-negative integer parameter, answering
// 400 when it is not one.
func uintParam(w http.ResponseWriter, v, name string) (uint64, bool) {
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil {
		badRequest(w, "invalid_parameter", name+" must be a non-negative integer")
		return 0, false
	}
	return n, true
}

// timeParam parses an optional RFC 3339 time parameter.
func timeParam(w http.ResponseWriter, v, name string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		badRequest(w, "invalid_parameter", name+" must be an RFC 3339 time")
		return time.Time{}, false
	}
	return t, true
}
