package main

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/auth"
)

func principal(sub, role, account string) auth.Principal {
	r, err := auth.RoleFromString(role)
	if err != nil {
		panic(err)
	}
	p := auth.Principal{Subject: sub, Role: r}
	if account != "" {
		p.AccountID = uuid.MustParse(account)
	}
	return p
}

// signWith signs a citizen token for account with a key the server does not know.
func signWith(t *testing.T, key []byte, account string) string {
	t.Helper()
	tok, err := (&auth.Issuer{Secret: key, Clock: time.Now}).Mint(principal(account, "citizen", account), time.Hour)
	require.NoError(t, err)
	return tok
}

// algNone hand-crafts an unsigned token ({"alg":"none"}) for account.
func algNone(account string) string {
	enc := base64.RawURLEncoding.EncodeToString
	hdr, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	claims, _ := json.Marshal(jwt.MapClaims{
		"sub": account, "role": "citizen", "account_id": account, "iss": "kabinet",
		"exp": time.Now().Add(time.Hour).Unix(),
	})
	return enc(hdr) + "." + enc(claims) + "."
}
