package domain

import (
	"strings"
	"unicode"
)

// cyrillicToLatin is the portal's transliteration table (docs/DOMAIN.md §3),
// keyed by the lower-case letter: Ъ and Ь are dropped, Е is always E. The
// last block holds letters of the other Cyrillic alphabets foreign citizens'
// names arrive in (Ukrainian, Belarusian, Kazakh, Kyrgyz, Tajik, Uzbek);
// they are not in the portal's table, so they get the plainest Latin letter
// rather than being lost.
var cyrillicToLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",

	'є': "ye", 'і': "i", 'ї': "yi", 'ґ': "g", 'ў': "u", 'ә': "a", 'ғ': "g",
	'қ': "k", 'ң': "n", 'ө': "o", 'ұ': "u", 'ү': "u", 'һ': "h", 'ҳ': "h",
	'ҷ': "j", 'ӣ': "i", 'ӯ': "u",
}

// latinFolds strips diacritics from lower-case Latin letters: each base is
// followed by the letters that fold to it. It covers Latin-1, Latin
// Extended-A and -B and Latin Extended Additional (Vietnamese), generated from
// the Unicode decompositions, plus the letters that have none (ø, ł, đ, ß, æ…)
// folded the way passports print them. golang.org/x/text is not allowed in
// domain, hence a table.
var latinFolds = buildLatinFolds([]string{
	"a", "àáâãäåāăąǎǟǡǻȁȃȧḁạảấầẩẫậắằẳẵặẚⱥəǝ",
	"b", "ḃḅḇƀ",
	"c", "çćĉċčḉȼ",
	"d", "ďḋḍḏḑḓđð",
	"e", "èéêëēĕėęěȅȇȩḕḗḙḛḝẹẻẽếềểễệɇ",
	"f", "ḟƒ",
	"g", "ĝğġģǧǵḡǥ",
	"h", "ĥȟḣḥḧḩḫẖħ",
	"i", "ìíîïĩīĭįǐȉȋḭḯỉịıɨ",
	"j", "ĵǰȷɉ",
	"k", "ķǩḱḳḵ",
	"l", "ĺļľḷḹḻḽŀłƚ",
	"m", "ḿṁṃ",
	"n", "ñńņňǹṅṇṉṋŉ",
	"o", "òóôõöōŏőơǒǫǭȍȏȫȭȯȱṍṏṑṓọỏốồổỗộớờởỡợøǿ",
	"p", "ṕṗ",
	"r", "ŕŗřȑȓṙṛṝṟɍ",
	"s", "śŝşšſșṡṣṥṧṩẛ",
	"t", "ţťțṫṭṯṱẗŧ",
	"u", "ùúûüũūŭůűųưǔǖǘǚǜȕȗṳṵṷṹṻụủứừửữự",
	"v", "ṽṿ",
	"w", "ŵẁẃẅẇẉẘ",
	"x", "ẋẍ",
	"y", "ýÿŷȳẏẙỳỵỷỹɏ",
	"z", "źżžẑẓẕƶ",
	"ss", "ß",
	"ae", "æǽǣ",
	"oe", "œ",
	"th", "þ",
	"ij", "ĳ",
	"ng", "ŋ",
	"dz", "ǆǳ",
	"lj", "ǉ",
	"nj", "ǌ",
})

func buildLatinFolds(pairs []string) map[rune]string {
	m := make(map[rune]string)
	for i := 0; i < len(pairs); i += 2 {
		for _, r := range pairs[i+1] {
			m[r] = pairs[i]
		}
	}
	return m
}

// Transliterate writes a Cyrillic name in Latin letters by the portal's table,
// keeping capitalisation (Щукин → Shchukin, ЩУКИН → SHCHUKIN). Latin letters
// pass through with the NormalizeLatin rules; anything else (digits,
// punctuation, other scripts) is dropped. The result holds only ASCII letters,
// single spaces and single hyphens.
func Transliterate(cyrillic string) string {
	return normalizeName(cyrillic, true)
}

// NormalizeLatin applies the name rules of docs/DOMAIN.md §3 to a Latin spelling:
// diacritics stripped to the base letter (Müller → Muller, ß → ss),
// apostrophes removed (d'Artagnan → dArtagnan), dashes become one hyphen,
// whitespace runs one space, separators trimmed from both ends. Letters of
// other scripts are dropped, so a Cyrillic name typed into a Latin field does
// not pass as Latin.
func NormalizeLatin(s string) string {
	return normalizeName(s, false)
}

// MatchLatin checks the Latin spelling a user gave for a Cyrillic name: it
// matches, ignoring case, the transliteration of the Cyrillic name or one of
// the Latin names printed in the person's document (both normalised). Else it
// returns translit_mismatch with both spellings in Details: "expected" (the
// transliteration) and "given".
func MatchLatin(cyrillic, latin string, documentLatin ...string) error {
	given := NormalizeLatin(latin)
	expected := Transliterate(cyrillic)
	if strings.EqualFold(given, expected) {
		return nil
	}
	for _, doc := range documentLatin {
		if d := NormalizeLatin(doc); d != "" && strings.EqualFold(given, d) {
			return nil
		}
	}
	return NewError(CodeTranslitMismatch,
		"the Latin spelling %q does not match the transliteration %q or the document", latin, expected).
		WithDetail("expected", expected).
		WithDetail("given", latin)
}

// normalizeName is the one pipeline behind Transliterate and NormalizeLatin.
func normalizeName(s string, cyrillic bool) string {
	rs := composeCyrillic([]rune(s))
	var b strings.Builder
	var pendingSpace, pendingHyphen bool
	for i, r := range rs {
		switch {
		case isApostrophe(r) || unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
			// Removed without leaving a gap: d'Artagnan → dArtagnan.
		case isHyphen(r):
			pendingHyphen = true
		case unicode.IsSpace(r) || r == '_':
			pendingSpace = true
		default:
			lat := latinFor(rs, i, cyrillic)
			if lat == "" {
				continue
			}
			if b.Len() > 0 {
				if pendingHyphen {
					b.WriteByte('-')
				} else if pendingSpace {
					b.WriteByte(' ')
				}
			}
			pendingSpace, pendingHyphen = false, false
			b.WriteString(lat)
		}
	}
	return b.String()
}

// latinFor returns the ASCII spelling of rs[i] ("" to drop it), upper-cased
// to fit its neighbours: a capital whose spelling has several letters is
// title case inside a capitalised word (Щукин → Shch) and all capitals
// inside an all-capital word (ЩУКИН → SHCH).
func latinFor(rs []rune, i int, cyrillic bool) string {
	r := rs[i]
	lower := unicode.ToLower(r)
	var lat string
	switch {
	case lower >= 'a' && lower <= 'z':
		lat = string(lower)
	case latinFolds[lower] != "":
		lat = latinFolds[lower]
	case cyrillic:
		lat = cyrillicToLatin[lower]
	}
	if lat == "" || !(unicode.IsUpper(r) || unicode.IsTitle(r)) {
		return lat
	}
	if len(lat) == 1 || (unicode.IsUpper(r) && allCapsAround(rs, i)) {
		return strings.ToUpper(lat)
	}
	return strings.ToUpper(lat[:1]) + lat[1:]
}

// allCapsAround reports whether the capital at rs[i] stands in an
// all-capital word: the next letter is a capital too, or the word ends here
// and the previous letter is a capital.
func allCapsAround(rs []rune, i int) bool {
	if i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
		return unicode.IsUpper(rs[i+1])
	}
	return i > 0 && unicode.IsUpper(rs[i-1])
}

// composeCyrillic joins the decomposed forms of Й and Ё (И + breve,
// Е + diaeresis) that some keyboards and PDFs produce, so they transliterate
// as Y and Yo rather than losing their marks to the diacritic rule.
func composeCyrillic(rs []rune) []rune {
	out := rs[:0:0]
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if i+1 < len(rs) {
			switch {
			case rs[i+1] == '\u0306' && (r == 'И' || r == 'и'):
				r, i = r+('Й'-'И'), i+1
			case rs[i+1] == '\u0308' && (r == 'Е' || r == 'е'):
				if r == 'Е' {
					r = 'Ё'
				} else {
					r = 'ё'
				}
				i++
			}
		}
		out = append(out, r)
	}
	return out
}

// isApostrophe covers the apostrophes and apostrophe-like marks found in
// names: ASCII, typographic, modifier letters (Uzbek Oʻ, Gʻ) and primes.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '\u00b4', '\u2018', '\u2019', '\u201b', '\u02b9', '\u02bb', '\u02bc', '\u02bd', '\u2032':
		return true
	}
	return false
}

// isHyphen covers the ASCII hyphen and the typographic dashes people paste.
func isHyphen(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\ufe63', '\uff0d':
		return true
	}
	return false
}
