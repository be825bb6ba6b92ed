package httpx

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestUserAgent_IsCutTo256BytesAtACharacterBoundary(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", strings.Repeat("a", 300))
	assert.Len(t, UserAgent(r), MaxUserAgentBytes)

	r.Header.Set("User-Agent", "Mozilla/5.0")
	assert.Equal(t, "Mozilla/5.0", UserAgent(r), "a short one is kept whole")

	cyr := strings.Repeat("a", 255) + "ж" // ж is two bytes: it would straddle byte 256
	got := CutUserAgent(cyr)
	assert.Equal(t, strings.Repeat("a", 255), got)
	assert.True(t, utf8.ValidString(got))
}
