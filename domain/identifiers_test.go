package domain_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

// requireCode asserts err is a *domain.Error with the given code.
func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *domain.Error
	require.True(t, errors.As(err, &de), "want *domain.Error %q, got %v", code, err)
	assert.Equal(t, code, de.Code)
}

func TestParseSnils_ValidNumbers(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// 1·9+1·8+2·7+2·6+3·5+3·4+4·3+4·2+5·1 = 95 < 100 → check 95.
		{"classic example with separators", "112-233-445 95", "112-233-445 95"},
		{"digits only", "11223344595", "112-233-445 95"},
		{"spaces only", "112 233 445 95", "112-233-445 95"},
		{"dashes only", "112-233-445-95", "112-233-445 95"},
		{"surrounding space and no-break space", " 112\u00a0233\u00a0445\u00a095 ", "112-233-445 95"},
		{"typographic en dash", "112–233–445 95", "112-233-445 95"},
		// 1·9+2·8+3·7+4·6+5·5+6·4+7·3+8·2+9·1 = 165 > 101 → 165 mod 101 = 64.
		{"sum above 101", "123-456-789 64", "123-456-789 64"},
		// 0+0+1·7+5·6+0·5+8·4+8·3+1·2+5·1 = 100 → 00.
		{"sum exactly 100", "001-508-815 00", "001-508-815 00"},
		// 0+0+1·7+4·6+3·5+7·4+5·3+4·2+4·1 = 101 → 00.
		{"sum exactly 101", "001-437-544 00", "001-437-544 00"},
		// 0+0+6·7+9·6+9·5+6·4+6·3+8·2+2·1 = 201 → 201 mod 101 = 100 → 00.
		{"sum mod 101 is 100", "006-996-682 00", "006-996-682 00"},
		// 0+0+1·7+3·6+1·5+8·4+7·3+5·2+9·1 = 102 → 102 mod 101 = 01.
		{"sum 102", "001-318-759 01", "001-318-759 01"},
		// 0+0+1·7+0+0+1·4+9·3+9·2+9·1 = 65: the first number the check applies to.
		{"first checked number", "001-001-999 65", "001-001-999 65"},
		{"at the check limit any check passes", "001-001-998 42", "001-001-998 42"},
		{"old number below the limit", "000-000-001 99", "000-000-001 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := domain.ParseSnils(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.String())
			assert.Len(t, s.Digits(), 11)
			assert.False(t, s.IsZero())
		})
	}
}

func TestParseSnils_RefusesWrongFormatOrCheck(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"empty", "", domain.CodeSnilsInvalid},
		{"ten digits", "1122334459", domain.CodeSnilsInvalid},
		{"twelve digits", "112233445950", domain.CodeSnilsInvalid},
		{"letter inside", "112-233-44a 95", domain.CodeSnilsInvalid},
		{"dot separator", "112.233.445.95", domain.CodeSnilsInvalid},
		{"arabic-indic digits", "١١٢٢٣٣٤٤٥٩٥", domain.CodeSnilsInvalid},
		{"all zeros never issued", "000-000-000 00", domain.CodeSnilsInvalid},
		{"typo in check", "112-233-445 96", domain.CodeSnilsChecksum},
		{"swapped digits", "121-233-445 95", domain.CodeSnilsChecksum},
		{"sum 100 must be 00 not 10", "001-508-815 10", domain.CodeSnilsChecksum},
		{"sum 201 must be 00 not 100", "006-996-682 99", domain.CodeSnilsChecksum},
		{"first checked number with wrong check", "001-001-999 00", domain.CodeSnilsChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := domain.ParseSnils(tt.in)
			requireCode(t, err, tt.code)
			assert.True(t, s.IsZero())
		})
	}
}

func TestSnils_MaskedKeepsOnlyCheckNumber(t *testing.T) {
	s, err := domain.ParseSnils("11223344595")
	require.NoError(t, err)
	assert.Equal(t, "***-***-*** 95", s.Masked())
	assert.Equal(t, "", domain.Snils{}.Masked())
	assert.Equal(t, "", domain.Snils{}.String())
}

func TestSnils_JSONRoundTrip(t *testing.T) {
	type holder struct {
		Snils domain.Snils `json:"snils"`
	}
	s, err := domain.ParseSnils("11223344595")
	require.NoError(t, err)
	b, err := json.Marshal(holder{s})
	require.NoError(t, err)
	assert.JSONEq(t, `{"snils":"112-233-445 95"}`, string(b))
	var back holder
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, s, back.Snils)
	require.Error(t, json.Unmarshal([]byte(`{"snils":"112-233-445 96"}`), &back))
}

func TestParseInn_ValidPersonalNumbers(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// 11th: 7·5+2·0+4·0+10·1+3·0+5·0+9·7+4·3+6·2+8·2 = 148; 148 mod 11 = 5.
		// 12th: 3·5+7·0+2·0+4·1+10·0+3·0+5·7+9·3+4·2+6·2+8·5 = 141; 141 mod 11 = 9.
		{"classic personal INN", "500100732259", "500100732259"},
		{"with spaces", " 5001 0073 2259 ", "500100732259"},
		// 11th: 7+4+12+40+15+30+63+32+54+0 = 257 mod 11 = 4;
		// 12th: 3+14+6+16+50+18+35+72+36+0+32 = 282 mod 11 = 7.
		{"computed example", "123456789047", "123456789047"},
		// 11th: 7·7+2·7+4·3+10·6+3·0+5·5+9·0+4·0+6·0+8·3 = 184 mod 11 = 8;
		// 12th: 3·7+7·7+2·3+4·6+0+3·5+0+0+0+6·3+8·8 = 197 mod 11 = 10 → mod 10 = 0.
		{"check sum 10 becomes 0", "773605000380", "773605000380"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := domain.ParseInn(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, n.String())
			assert.False(t, n.IsZero())
		})
	}
}

func TestParseInn_RefusesCompanyMalformedOrWrongCheck(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"Sberbank's company INN", "7707083893", domain.CodeInnNotPersonal},
		{"company INN with spaces", "7707 083 893", domain.CodeInnNotPersonal},
		{"empty", "", domain.CodeInnInvalid},
		{"eleven digits", "50010073225", domain.CodeInnInvalid},
		{"thirteen digits", "5001007322590", domain.CodeInnInvalid},
		{"letter", "50010073225O", domain.CodeInnInvalid},
		{"wrong 12th digit", "500100732258", domain.CodeInnChecksum},
		{"wrong 11th digit", "500100732269", domain.CodeInnChecksum},
		{"swapped digits", "050100732259", domain.CodeInnChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := domain.ParseInn(tt.in)
			requireCode(t, err, tt.code)
			assert.True(t, n.IsZero())
		})
	}
}

func TestInn_MaskedKeepsLastTwoDigits(t *testing.T) {
	n, err := domain.ParseInn("500100732259")
	require.NoError(t, err)
	assert.Equal(t, "**********59", n.Masked())
	assert.Equal(t, "", domain.Inn{}.Masked())
}

func TestInn_JSONRoundTrip(t *testing.T) {
	n, err := domain.ParseInn("500100732259")
	require.NoError(t, err)
	b, err := json.Marshal(n)
	require.NoError(t, err)
	assert.Equal(t, `"500100732259"`, string(b))
	var back domain.Inn
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, n, back)
}

func FuzzParseSnils(f *testing.F) {
	for _, s := range []string{"112-233-445 95", "11223344595", "001-001-998 00", "", "000-000-000 00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := domain.ParseSnils(in)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || (de.Code != domain.CodeSnilsInvalid && de.Code != domain.CodeSnilsChecksum) {
				t.Fatalf("ParseSnils(%q): unexpected error %v", in, err)
			}
			return
		}
		// A parsed number re-parses from its display form to itself.
		again, err := domain.ParseSnils(s.String())
		if err != nil || again != s {
			t.Fatalf("ParseSnils(%q) = %v; re-parse of %q: %v, %v", in, s, s.String(), again, err)
		}
		if len(s.Masked()) != len("***-***-*** 95") {
			t.Fatalf("masked form %q", s.Masked())
		}
	})
}

func FuzzParseInn(f *testing.F) {
	for _, s := range []string{"500100732259", "7707083893", "500100732258", "", "5001 0073 2259"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := domain.ParseInn(in)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("ParseInn(%q): not a domain error: %v", in, err)
			}
			return
		}
		again, err := domain.ParseInn(n.String())
		if err != nil || again != n || len(n.String()) != 12 {
			t.Fatalf("ParseInn(%q) = %v; re-parse: %v, %v", in, n, again, err)
		}
	})
}
