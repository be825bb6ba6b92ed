package oidctest_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kabinet/kabinet/platform/auth/oidctest"
)

// TestProviderDouble_CodeFlow runs the authorization-code flow with PKCE
// against the double with the real client libraries: the code redeems
// once, only with the right verifier, and the ID token verifies with the
// published keys and carries the nonce.
func TestProviderDouble_CodeFlow(t *testing.T) {
	idp := oidctest.NewProviderDouble(t)
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, idp.Issuer())
	require.NoError(t, err)
	conf := oauth2.Config{ClientID: "kabinet", Endpoint: prov.Endpoint(), RedirectURL: "https://kabinet.test/staff/callback",
		Scopes: []string{oidc.ScopeOpenID}}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	authorize := func(verifier string) (code string) {
		res, err := noRedirect.Get(conf.AuthCodeURL("st-1", oidc.Nonce("n-1"), oauth2.S256ChallengeOption(verifier)))
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusFound, res.StatusCode)
		loc, err := url.Parse(res.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "st-1", loc.Query().Get("state"))
		return loc.Query().Get("code")
	}

	res, err := noRedirect.Get(conf.AuthCodeURL("st-0", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no one set to sign in")

	idp.SignInAs(idp.StaffClaims("op-1", "operator", "kabinet"))
	verifier := oauth2.GenerateVerifier()
	code := authorize(verifier)
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	assert.Error(t, err, "a wrong PKCE verifier")
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	assert.Error(t, err, "the code was spent by the failed attempt")

	code = authorize(verifier)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := prov.Verifier(&oidc.Config{ClientID: "kabinet"}).Verify(ctx, raw)
	require.NoError(t, err)
	assert.Equal(t, "op-1", idt.Subject)
	assert.Equal(t, "n-1", idt.Nonce)
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	assert.Error(t, err, "a code redeems once")
}
