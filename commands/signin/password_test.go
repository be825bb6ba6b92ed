package signin

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cheap are low parameters for tests that hash often.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHasher_Argon2idWithItsParametersAndASaltPerHash(t *testing.T) {
	h := NewHasher(OWASPParams, 2)
	a, err := h.Hash("violet-lamp-1987")
	require.NoError(t, err)
	b, err := h.Hash("violet-lamp-1987")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(a, "$argon2id$v=19$m=19456,t=2,p=1$"), a)
	assert.NotEqual(t, a, b, "a fresh salt for every hash")
	ok, rehash, err := h.Verify(a, "violet-lamp-1987")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.False(t, rehash)
	ok, _, err = h.Verify(a, "violet-lamp-1988")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestHasher_RaisedParametersStillVerifyAndAskForARehash(t *testing.T) {
	old, err := NewHasher(cheap, 1).Hash("violet-lamp-1987")
	require.NoError(t, err)
	ok, rehash, err := NewHasher(OWASPParams, 1).Verify(old, "violet-lamp-1987")
	require.NoError(t, err)
	assert.True(t, ok, "the parameters stored with the hash are used to verify it")
	assert.True(t, rehash)
}

func TestHasher_RefusesWhatIsNotAnArgon2idHash(t *testing.T) {
	h := NewHasher(cheap, 1)
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$"} {
		_, _, err := h.Verify(bad, "x")
		assert.Error(t, err, bad)
	}
}

func TestMask_HidesMostOfAContact(t *testing.T) {
	assert.Equal(t, "+7916*****01", mask(domainPhone, "+79161110001"))
	assert.Equal(t, "w***@example.com", mask(domainEmail, "wei@example.com"))
}

func TestTruncateUTF8_KeepsWholeCharacters(t *testing.T) {
	s := truncateUTF8(strings.Repeat("é", 200), MaxUserAgent)
	assert.LessOrEqual(t, len(s), MaxUserAgent)
	assert.Equal(t, strings.Repeat("é", 128), s)
}

func TestSealer_BindsTheSecretToItsAccount(t *testing.T) {
	s, err := newSealer([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	sealed, err := s.seal(rand.Reader, "acc-1", "JBSWY3DPEHPK3PXP")
	require.NoError(t, err)
	assert.NotContains(t, sealed, "JBSWY3DPEHPK3PXP")
	got, err := s.open("acc-1", sealed)
	require.NoError(t, err)
	assert.Equal(t, "JBSWY3DPEHPK3PXP", got)
	_, err = s.open("acc-2", sealed)
	assert.Error(t, err, "copied to another account it does not open")
}
