package oidctest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// grant is one authorization code the provider handed out: the ID token
// claims it redeems for and what the token request must repeat.
type grant struct {
	claims             Claims
	clientID, redirect string
	challenge          string // S256 PKCE challenge
}

// SignInAs sets the claims of the next person who passes the provider's
// authorization endpoint (the double asks no password: the test decides
// who signs in). The nonce of the authorization request is added.
func (p *ProviderDouble) SignInAs(c Claims) {
	p.mu.Lock()
	p.next = c
	p.mu.Unlock()
}

// authorize is the authorization endpoint of the code flow with PKCE
// (S256 only): it redirects back with a one-time code and the state.
func (p *ProviderDouble) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("response_type") != "code" || q.Get("client_id") == "" || err != nil || !redirect.IsAbs() ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "invalid_request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	next := p.next
	p.mu.Unlock()
	if next == nil {
		http.Error(w, "access_denied: no one to sign in (SignInAs)", http.StatusForbidden)
		return
	}
	c := Claims{}
	for k, v := range next {
		c[k] = v
	}
	if n := q.Get("nonce"); n != "" {
		c["nonce"] = n
	}
	code := rand.Text()
	p.mu.Lock()
	if p.grants == nil {
		p.grants = map[string]grant{}
	}
	p.grants[code] = grant{claims: c, clientID: q.Get("client_id"), redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
	p.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token redeems a code once, checking the client, redirect URI and PKCE
// verifier, and answers an RS256 ID token.
func (p *ProviderDouble) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, "unsupported_grant_type")
		return
	}
	clientID, _, ok := r.BasicAuth()
	if !ok {
		clientID = r.PostForm.Get("client_id")
	}
	p.mu.Lock()
	g, found := p.grants[r.PostForm.Get("code")]
	delete(p.grants, r.PostForm.Get("code"))
	k := p.keys[jose.RS256]
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !found || g.clientID != clientID || g.redirect != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, "invalid_grant")
		return
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.Key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.KeyID))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	idt, err := jwt.Signed(s).Claims(map[string]any(g.claims)).Serialize()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

func tokenError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"error":"` + code + `"}`))
}
