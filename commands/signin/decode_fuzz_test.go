package signin

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/httpx"
)

// FuzzDecodeSignIn feeds arbitrary bodies to the sign-in decoding: it never
// panics, every refusal is a 4xx (never a 500 that would hide a bug), and
// what it accepts has a bounded login and a password.
func FuzzDecodeSignIn(f *testing.F) {
	for _, seed := range []string{
		`{"login":"+79161234567","password":"violet-lamp-1987"}`,
		`{"login":"wei@example.com","password":"x"}`,
		`{"login":"","password":""}`,
		`{"login":1}`,
		`{"login":"a","password":"b","role":"admin"}`,
		`{"login":"a","password":"b"} {}`,
		`[]`, `null`, `{`, "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/sessions", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		req, err := decodeSignIn(httptest.NewRecorder(), r)
		if err != nil {
			var de *domain.Error
			var te *httpx.Error
			if !errors.As(err, &de) && !errors.As(err, &te) {
				t.Fatalf("refusal %v is neither a domain nor a transport error", err)
			}
			if s := httpx.StatusFor(err); s < 400 || s >= 500 {
				t.Fatalf("refusal %v answers %d", err, s)
			}
			return
		}
		if req.Login == "" || len(req.Login) > MaxLoginBytes || req.Password == "" || len(req.Password) > 4*domain.MaxPasswordBytes {
			t.Fatalf("accepted %q", body)
		}
	})
}
