package esign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

var (
	now       = time.Now().UTC()
	challenge = bytes.Repeat([]byte{0xc3}, domain.ChallengeSize)
)

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, code, de.Code, de.Message)
}

func TestVerify_SignaturesOverTheChallengeByATrustedCertificate(t *testing.T) {
	root := newRoot(t, "Аккредитованный УЦ", now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0))
	other := newRoot(t, "Чужой УЦ", now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0))
	inter := root.sub(t, "Промежуточный УЦ", now.AddDate(-2, 0, 0), now.AddDate(2, 0, 0))
	oldInter := root.sub(t, "Истёкший УЦ", now.AddDate(-3, 0, 0), now.AddDate(0, 0, -1))
	valid := func(a authority, key crypto.Signer) *x509.Certificate {
		return a.leaf(t, "Иванов Пётр", key, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
	}
	ec, rs := ecKey(t), rsaKey(t, 2048)
	tests := []struct {
		name string
		sig  func() string
		code string // "" verifies
	}{
		{"ECDSA P-256", func() string { return sign(t, challenge, valid(root, ec), ec) }, ""},
		{"RSA 2048", func() string { return sign(t, challenge, valid(root, rs), rs) }, ""},
		{"through an intermediate it carries", func() string {
			return sign(t, challenge, valid(inter, ec), ec, inter.cert)
		}, ""},
		{"an intermediate it does not carry", func() string { return sign(t, challenge, valid(inter, ec), ec) }, domain.CodeCertificateUntrusted},
		{"a CA outside the trust store", func() string { return sign(t, challenge, valid(other, ec), ec) }, domain.CodeCertificateUntrusted},
		{"a self-signed certificate", func() string {
			self := newRoot(t, "Иванов Пётр", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
			return sign(t, challenge, self.cert, self.key)
		}, domain.CodeCertificateUntrusted},
		{"an expired certificate", func() string {
			c := root.leaf(t, "Иванов Пётр", ec, now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1))
			return sign(t, challenge, c, ec)
		}, domain.CodeCertificateExpired},
		{"a certificate not yet valid", func() string {
			c := root.leaf(t, "Иванов Пётр", ec, now.Add(time.Hour), now.AddDate(1, 0, 0))
			return sign(t, challenge, c, ec)
		}, domain.CodeCertificateExpired},
		{"an expired intermediate", func() string {
			c := oldInter.leaf(t, "Иванов Пётр", ec, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
			return sign(t, challenge, c, ec, oldInter.cert)
		}, domain.CodeCertificateExpired},
		{"a tampered challenge", func() string {
			return sign(t, append([]byte{1}, challenge[1:]...), valid(root, ec), ec)
		}, domain.CodeSignatureInvalid},
		{"a signature by another key", func() string {
			return sign(t, challenge, valid(root, ec), ecKey(t))
		}, domain.CodeSignatureInvalid},
		{"RSA below 2048 bits", func() string {
			k := rsaKey(t, 1024)
			return sign(t, challenge, root.leaf(t, "Иванов Пётр", k, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0)), k)
		}, domain.CodeSignatureInvalid},
		{"not base64", func() string { return "не base64!" }, domain.CodeSignatureInvalid},
		{"not CMS", func() string { return base64.StdEncoding.EncodeToString([]byte("hello")) }, domain.CodeSignatureInvalid},
		{"empty", func() string { return "" }, domain.CodeSignatureInvalid},
	}
	v := NewVerifier(root.pool())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.sig(), challenge, now)
			if tt.code != "" {
				requireCode(t, err, tt.code)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "Иванов Пётр", got.CommonName)
			assert.Contains(t, got.Issuer, "УЦ")
			assert.NotEmpty(t, got.SerialNumber)
		})
	}
}

func TestVerify_TheTestCAIssuesCertificatesItsPoolTrusts(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateTestCA(dir)
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(dir, TestCAKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the CA key is private")
	again, err := LoadOrCreateTestCA(dir)
	require.NoError(t, err)
	assert.Equal(t, ca.Cert.Raw, again.Cert.Raw, "loaded, not created anew")

	k := ecKey(t)
	c, err := ca.Issue("Иванов Пётр Сергеевич", k.Public(), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	require.NoError(t, err)
	got, err := NewVerifier(again.Pool()).Verify(sign(t, challenge, c, k), challenge, now)
	require.NoError(t, err)
	assert.Equal(t, "Иванов", got.Surname)
	assert.Equal(t, "Пётр Сергеевич", got.GivenName)

	pool, n, err := LoadTrustStore(dir)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = NewVerifier(pool).Verify(sign(t, challenge, c, k), challenge, now)
	require.NoError(t, err, "a trust store directory holding the CA's PEM trusts it")
	_, _, err = LoadTrustStore(t.TempDir())
	require.Error(t, err, "an empty trust store is a configuration error")
}

// TestVerify_OpenSSLCMSSignatureVerifies signs the challenge the way
// docs/API.md ("Identity") tells citizens to: openssl cms -sign -binary
// -outform DER.
func TestVerify_OpenSSLCMSSignatureVerifies(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: openssl is not installed; the openssl cms interoperability check did not run")
	}
	root := newRoot(t, "Аккредитованный УЦ", now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0))
	for name, key := range map[string]crypto.Signer{"ECDSA P-256": ecKey(t), "RSA 2048": rsaKey(t, 2048)} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cert := root.leaf(t, "Иванов Пётр", key, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
			writePEM(t, filepath.Join(dir, "cert.pem"), "CERTIFICATE", cert.Raw)
			writePEM(t, filepath.Join(dir, "key.pem"), "PRIVATE KEY", pkcs8(t, key))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "challenge.bin"), challenge, 0o600))
			out, err := exec.Command(bin, "cms", "-sign", "-binary", "-outform", "DER",
				"-in", filepath.Join(dir, "challenge.bin"), "-signer", filepath.Join(dir, "cert.pem"),
				"-inkey", filepath.Join(dir, "key.pem"), "-out", filepath.Join(dir, "sig.der")).CombinedOutput()
			require.NoError(t, err, string(out))
			der, err := os.ReadFile(filepath.Join(dir, "sig.der"))
			require.NoError(t, err)
			sig := base64.StdEncoding.EncodeToString(der)
			got, err := NewVerifier(root.pool()).Verify(sig, challenge, now)
			require.NoError(t, err)
			assert.Equal(t, "Иванов Пётр", got.CommonName)
			_, err = NewVerifier(root.pool()).Verify(sig, bytes.Repeat([]byte{1}, domain.ChallengeSize), now)
			requireCode(t, err, domain.CodeSignatureInvalid)
		})
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}
