package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/httpx"
)

func TestClientAddress_BelievesXForwardedForOnlyFromTrustedProxies(t *testing.T) {
	trusted, err := httpx.ParseTrustedProxies("10.0.0.0/8, 192.168.1.5 ,fd00::/8")
	require.NoError(t, err)
	cases := map[string]struct {
		peer string
		xff  []string
		want string
	}{
		"no proxy":                           {"203.0.113.7:5555", nil, "203.0.113.7"},
		"an untrusted peer's claim ignored":  {"203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		"one trusted proxy":                  {"10.1.2.3:80", []string{"198.51.100.9"}, "198.51.100.9"},
		"a single trusted address":           {"192.168.1.5:80", []string{"198.51.100.9"}, "198.51.100.9"},
		"two trusted hops skipped":           {"10.1.2.3:80", []string{"198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		"a forged left part is not believed": {"10.1.2.3:80", []string{"1.1.1.1, 198.51.100.9"}, "198.51.100.9"},
		"several headers form one chain":     {"10.1.2.3:80", []string{"1.1.1.1", "198.51.100.9, 10.0.0.2"}, "198.51.100.9"},
		"garbage stops at the last trusted":  {"10.1.2.3:80", []string{"198.51.100.9, nonsense"}, "10.1.2.3"},
		"no header from a trusted proxy":     {"10.1.2.3:80", nil, "10.1.2.3"},
		"only trusted hops":                  {"10.1.2.3:80", []string{"10.0.0.9"}, "10.0.0.9"},
		"IPv6 proxy":                         {"[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		"IPv4-mapped IPv6 peer":              {"[::ffff:10.1.2.3]:80", []string{"198.51.100.9"}, "198.51.100.9"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got string
			h := httpx.ClientAddress(trusted)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = httpx.ClientIP(r)
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestClientAddress_WithoutTrustedProxiesIsThePeer(t *testing.T) {
	var got string
	h := httpx.ClientAddress(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = httpx.ClientIP(r) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:80"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, "10.1.2.3", got)
}

func TestParseTrustedProxies_RefusesWhatIsNotACIDR(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0/8"} {
		_, err := httpx.ParseTrustedProxies(bad)
		assert.Error(t, err, bad)
	}
	got, err := httpx.ParseTrustedProxies(" ")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestSecureHeaders_NoSniffAndNoStoreOnEveryAnswer(t *testing.T) {
	h := httpx.SecureHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, httpx.NotFound("nothing"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}
