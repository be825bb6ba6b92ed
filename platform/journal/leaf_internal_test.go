package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/rfc6962"
)

// stdJSON encodes s as encoding/json does with HTML escaping off, except
// that each invalid UTF-8 byte is the escape \ufffd: the leaf's canonical
// form, which encoding/json wrote before Go 1.27 (now it writes the raw
// character).
func stdJSON(t testing.TB, s string) string {
	out := []byte{'"'}
	for len(s) > 0 {
		valid := 0
		for valid < len(s) {
			r, size := utf8.DecodeRuneInString(s[valid:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			valid += size
		}
		out = append(out, quoted(t, s[:valid])...)
		if valid < len(s) {
			out = append(out, `\ufffd`...)
			valid++
		}
		s = s[valid:]
	}
	return string(append(out, '"'))
}

// quoted is encoding/json's encoding of valid UTF-8 s without its quotes.
func quoted(t testing.TB, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(s))
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return out[1 : len(out)-1]
}

func TestAppendJSONString_InvalidUTF8IsTheEscapedReplacementCharacter(t *testing.T) {
	assert.Equal(t, `"a\ufffdb\ufffd"`, string(appendJSONString(nil, "a\xffb\xc3")))
}

func TestAppendJSONString_EscapesExactlyAsEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
		"<html>&amp;", "кириллица ✓ 𝄞", "sep\u2028\u2029", "bad \xff utf8 \xc3", "\xed\xa0\x80",
	} {
		assert.Equal(t, stdJSON(t, s), string(appendJSONString(nil, s)), "%q", s)
		assert.Equal(t, stdJSON(t, s), string(appendJSONString(nil, []byte(s))), "%q as bytes", s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"b\\c\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

func TestCanonicalLeaf_IsValidJSONInTheDocumentedOrder(t *testing.T) {
	f := leafFields[string]{
		seq: 7, atMicros: 1_700_000_000_123_456, actorID: "u1", actorRole: "operator", action: "GET cabinet",
		accountID: "a1", outcome: "denied", reason: "forbidden", correlationID: "c1", eventPositions: "3,4",
		ipHash: []byte{0xab, 0xcd}, uaHash: nil,
	}
	got := string(appendLeaf(nil, &f))
	want := `{"v":1,"seq":7,"at":"2023-11-14T22:13:20.123456Z","actor_id":"u1","actor_role":"operator",` +
		`"action":"GET cabinet","account_id":"a1","outcome":"denied","reason":"forbidden","correlation_id":"c1",` +
		`"event_positions":[3,4],"ip_hash":"abcd","user_agent_hash":""}`
	assert.Equal(t, want, got)
	assert.True(t, json.Valid([]byte(got)))
}

func TestPositions_OnlyTheCanonicalFormIsAccepted(t *testing.T) {
	for s, ok := range map[string]bool{
		"": true, "0": true, "1,2,30": true, "18446744073709551615": true,
		"01": false, "1,,2": false, ",1": false, "1,": false, "1, 2": false, "1]": false, "-1": false,
		"1,0": true, "123456789012345678901": false,
	} {
		assert.Equal(t, ok, canonicalPositions(s), "%q", s)
		_, err := parsePositions(s)
		if s != "123456789012345678901" { // over uint64: parse refuses, canonical form check allows 20 digits max
			assert.Equal(t, ok, err == nil, "parse %q", s)
		}
	}
	ps, err := parsePositions(formatPositions([]uint64{5, 0, 12}))
	require.NoError(t, err)
	assert.Equal(t, []uint64{5, 0, 12}, ps)
}

func TestLeafHasher_HashesAsRFC6962IntoSlicesOfTheirOwn(t *testing.T) {
	lh := newLeafHasher()
	a, b := []byte("left child hash, 32 bytes long.."), []byte("right child hash, 32 bytes long.")
	var got [][]byte
	for range 300 { // across arena allocations
		got = append(got, lh.hashChildren(a, b), lh.sum(lh.arena.next(), a))
	}
	for i := 0; i < len(got); i += 2 {
		require.Equal(t, rfc6962.DefaultHasher.HashChildren(a, b), got[i])
		require.Equal(t, rfc6962.DefaultHasher.HashLeaf(a), got[i+1])
	}
	got[0][0] ^= 0xff
	assert.Equal(t, rfc6962.DefaultHasher.HashChildren(a, b), got[2], "no two hashes share memory")
}

func TestSealer_EverySaltIsFreshAndEveryHashIsSHA256OfSaltAndValue(t *testing.T) {
	s := newSealer(10)
	salts := map[string]bool{}
	for i := range 3 * saltsPerRead { // across many reads of crypto/rand
		v := fmt.Sprintf("10.0.%d.%d", i/250, i%250)
		p, err := s.seal(v)
		require.NoError(t, err)
		require.Len(t, p.salt, saltSize)
		require.False(t, salts[string(p.salt)], "salt %d repeats", i)
		salts[string(p.salt)] = true
		want := sha256.Sum256(append(append([]byte(nil), p.salt...), v...))
		require.Equal(t, want[:], p.hash)
		require.Equal(t, v, p.value)
	}
	p, err := s.seal("")
	require.NoError(t, err)
	assert.Equal(t, personal{}, p, "an empty value has no salt and no hash")
}
