package domain

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// draws returns a reader yielding the given 32-bit values, big-endian.
func draws(vs ...uint32) *bytes.Reader {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return bytes.NewReader(b)
}

func TestNewCode_SixDigitsFromTheReader(t *testing.T) {
	tests := []struct {
		draw uint32
		want string
	}{
		{0, "000000"},
		{42, "000042"},
		{999_999, "999999"},
		{1_000_000, "000000"},
		{1_234_567, "234567"},
		{codeDrawLimit - 1, "999999"},
	}
	for _, tt := range tests {
		code, err := NewCode(draws(tt.draw))
		require.NoError(t, err)
		assert.Equal(t, tt.want, code, "draw %d", tt.draw)
	}
}

func TestNewCode_RejectsDrawsThatWouldBiasTheModulo(t *testing.T) {
	code, err := NewCode(draws(codeDrawLimit, 1<<32-1, 7))
	require.NoError(t, err)
	assert.Equal(t, "000007", code, "the two out-of-range draws are skipped")
}

func TestNewCode_FailsOnShortOrBrokenReader(t *testing.T) {
	_, err := NewCode(bytes.NewReader([]byte{1, 2}))
	assert.Error(t, err)
	_, err = NewCode(nil)
	assert.Error(t, err)
	_, err = NewCode(draws(repeatDraw(1<<32-1, maxCodeDraws+1)...))
	assert.Error(t, err, "a reader stuck out of range must not loop forever")
}

func repeatDraw(v uint32, n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestNewCode_CryptoRandLooksUniform(t *testing.T) {
	// A coarse check that the first digit is spread out; the exact
	// uniformity argument is codeDrawLimit's, tested above.
	var counts [10]int
	for range 2000 {
		code, err := NewCode(rand.Reader)
		require.NoError(t, err)
		require.Len(t, code, CodeLength)
		require.True(t, wellFormedCode(code))
		counts[code[0]-'0']++
	}
	for d, n := range counts {
		assert.Greater(t, n, 100, "digit %d appears first only %d times in 2000", d, n)
	}
}

func TestCodeDrawLimit_IsTheLargestMultipleThatFits(t *testing.T) {
	assert.Zero(t, codeDrawLimit%codeSpace)
	assert.Greater(t, uint64(codeDrawLimit)+codeSpace, uint64(1)<<32)
}

func TestHMACCodeHasher_BindsKeyAccountChannelAndCode(t *testing.T) {
	key := bytes.Repeat([]byte{7}, MinCodeKeyLen)
	h, err := NewHMACCodeHasher(key)
	require.NoError(t, err)
	id := uuid.MustParse("6f1c2f4e-3a5b-4c6d-8e9f-0a1b2c3d4e5f")
	base := h.HashCode(id, ChannelPhone, "123456")

	require.True(t, strings.HasPrefix(base, CodeHashAlg), "names its algorithm")
	assert.Len(t, strings.TrimPrefix(base, CodeHashAlg), 64, "hex of SHA-256")
	assert.Equal(t, strings.ToLower(base), base)
	assert.Equal(t, base, h.HashCode(id, ChannelPhone, "123456"), "deterministic")
	assert.NotContains(t, base, "123456")

	other, _ := NewHMACCodeHasher(bytes.Repeat([]byte{8}, MinCodeKeyLen))
	assert.NotEqual(t, base, other.HashCode(id, ChannelPhone, "123456"), "key")
	assert.NotEqual(t, base, h.HashCode(uuid.New(), ChannelPhone, "123456"), "account")
	assert.NotEqual(t, base, h.HashCode(id, ChannelEmail, "123456"), "channel")
	assert.NotEqual(t, base, h.HashCode(id, ChannelPhone, "123457"), "code")

	key[0] = 9
	assert.Equal(t, base, h.HashCode(id, ChannelPhone, "123456"), "the hasher keeps its own copy of the key")
}

func TestNewHMACCodeHasher_RefusesShortKey(t *testing.T) {
	_, err := NewHMACCodeHasher(make([]byte, MinCodeKeyLen-1))
	assert.Error(t, err)
	_, err = NewHMACCodeHasher(nil)
	assert.Error(t, err)
}

func TestCodeMatches_ComparesWholeHashes(t *testing.T) {
	assert.True(t, codeMatches("abc", "abc"))
	assert.False(t, codeMatches("abc", "abd"))
	assert.False(t, codeMatches("abc", "ab"))
	assert.False(t, codeMatches("", "abc"))
}
