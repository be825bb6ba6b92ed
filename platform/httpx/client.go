package httpx

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

type clientIPKey struct{}

// ParseTrustedProxies parses a comma-separated list of CIDRs (or single
// addresses) whose X-Forwarded-For is believed: the load balancers and
// proxies in front of the service.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			a, err := netip.ParseAddr(item)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", item, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", item, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ClientAddress finds each request's client address for ClientIP. A peer
// that is not a trusted proxy is the client, whatever it claims in
// X-Forwarded-For. From a trusted proxy the X-Forwarded-For chain is read
// from its right end (the hop nearest to us) leftwards, skipping trusted
// proxies; the first address that is not one is the client. An entry that
// is not an address ends the walk at the last trusted hop, so a client
// cannot hide behind garbage.
func ClientAddress(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := clientAddress(r, trusted)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, ip)))
		})
	}
}

func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	peer := peerIP(r)
	if !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, hop := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			return client
		}
		client = a.Unmap().String()
		if !isTrusted(client, trusted) {
			return client
		}
	}
	return client
}

func isTrusted(ip string, trusted []netip.Prefix) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// SecureHeaders marks every answer X-Content-Type-Options: nosniff and,
// unless a handler says otherwise, Cache-Control: no-store: the API's
// answers carry tokens and personal data, which no browser or proxy may
// keep.
func SecureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
