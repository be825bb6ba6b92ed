package commands

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPaymentGateway_VerifiesTheHMACOfTheRawBody(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	gw, err := NewPaymentGateway(secret)
	require.NoError(t, err)
	body := []byte(`{"amount":100000,"currency":"RUB","transaction_id":"tx-1"}`)
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	good := "sha256=" + hex.EncodeToString(m.Sum(nil))
	assert.Equal(t, good, gw.Sign(body))

	tests := []struct {
		name   string
		body   []byte
		header string
		ok     bool
	}{
		{"the gateway's signature", body, good, true},
		{"uppercase hex", body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), true},
		{"missing", body, "", false},
		{"no scheme", body, strings.TrimPrefix(good, "sha256="), false},
		{"another scheme", body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"not hex", body, "sha256=zz", false},
		{"truncated", body, good[:len(good)-2], false},
		{"body changed by one byte", []byte(strings.Replace(string(body), "100000", "100001", 1)), good, false},
		{"body re-encoded with a space", []byte(strings.Replace(string(body), ":", ": ", 1)), good, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.ok, gw.Verify(tc.body, tc.header))
		})
	}
	other, err := NewPaymentGateway([]byte(strings.Repeat("x", 32)))
	require.NoError(t, err)
	assert.False(t, other.Verify(body, good), "another secret")
}

func TestPaymentGateway_RefusesAShortSecret(t *testing.T) {
	_, err := NewPaymentGateway([]byte("short"))
	assert.Error(t, err)
}

func TestLoadPaymentSecret_EnvFirstElseAPrivateFileCreatedOnce(t *testing.T) {
	dir := t.TempDir()
	env := strings.Repeat("e", 32)
	s, err := LoadPaymentSecret(env, dir)
	require.NoError(t, err)
	assert.Equal(t, []byte(env), s)
	_, err = os.Stat(filepath.Join(dir, PaymentSecretFile))
	assert.True(t, os.IsNotExist(err), "no file when the env var is set")

	_, err = LoadPaymentSecret("too short", dir)
	assert.Error(t, err)

	first, err := LoadPaymentSecret("", dir)
	require.NoError(t, err)
	assert.Len(t, first, MinPaymentSecretBytes)
	info, err := os.Stat(filepath.Join(dir, PaymentSecretFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	again, err := LoadPaymentSecret("", dir)
	require.NoError(t, err)
	assert.Equal(t, first, again, "kept across restarts")

	require.NoError(t, os.Chmod(filepath.Join(dir, PaymentSecretFile), 0o644))
	_, err = LoadPaymentSecret("", dir)
	assert.ErrorContains(t, err, "chmod 600")
}
