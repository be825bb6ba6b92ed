package domain_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

func TestTransliterate_SeedTable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Иванов", "Ivanov"},
		{"Пётр", "Pyotr"},
		{"Хрущёв", "Khrushchyov"},
		{"Объедкова", "Obedkova"},
		{"Салтыков-Щедрин", "Saltykov-Shchedrin"},
		{"Щукин", "Shchukin"},
		{"ЩУКИН", "SHCHUKIN"},
		{"ХРУЩ", "KHRUSHCH"},
		{"Юлия", "Yuliya"},
		{"ЮЛИЯ", "YULIYA"},
		{"Ёлкин", "Yolkin"},
		{"Жанна", "Zhanna"},
		{"Цой", "Tsoy"},
		{"Чехов", "Chekhov"},
		{"Шишкин", "Shishkin"},
		{"Эмиль", "Emil"},
		{"Майя", "Mayya"},
		{"Рыбаков", "Rybakov"},
		{"Ю", "Yu"},
		{"Анна-Мария", "Anna-Mariya"},
		{"абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "abvgdeyozhziyklmnoprstufkhtschshshchyeyuya"},
		{"АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ", "ABVGDEYOZHZIYKLMNOPRSTUFKHTSCHSHSHCHYEYUYA"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, domain.Transliterate(tt.in))
		})
	}
}

func TestTransliterate_SeparatorsAndMarks(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"double hyphen becomes one", "Салтыков--Щедрин", "Saltykov-Shchedrin"},
		{"typographic dash becomes hyphen", "Салтыков — Щедрин", "Saltykov-Shchedrin"},
		{"space runs collapse", "Анна   Мария", "Anna Mariya"},
		{"ends trimmed", "  -Иван- ", "Ivan"},
		{"apostrophe removed", "Д'Артаньян", "DArtanyan"},
		{"decomposed Й", "Андреи\u0306", "Andrey"},
		{"decomposed Ё", "Фе\u0308дор", "Fyodor"},
		{"digits and punctuation dropped", "Иван2.", "Ivan"},
		{"Latin passes through", "Müller", "Muller"},
		{"Ukrainian letters", "Їжакевич Євген", "Yizhakevich Yevgen"},
		{"Kazakh letters", "Нұрбек Әлиев", "Nurbek Aliev"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, domain.Transliterate(tt.in))
		})
	}
}

func TestNormalizeLatin_StripsDiacriticsApostrophesAndExtraSeparators(t *testing.T) {
	tests := []struct{ in, want string }{
		{"d'Artagnan", "dArtagnan"},
		{"O’Brien", "OBrien"},
		{"Oʻlmasov", "Olmasov"},
		{"Müller", "Muller"},
		{"José", "Jose"},
		{"Nuñez", "Nunez"},
		{"François", "Francois"},
		{"Łukasz Wałęsa", "Lukasz Walesa"},
		{"Strauß", "Strauss"},
		{"STRAUẞ", "STRAUSS"},
		{"Søren Kierkegård", "Soren Kierkegard"},
		{"Ærøskøbing", "Aeroskobing"},
		{"Đorđević", "Dordevic"},
		{"Şahin Yılmaz", "Sahin Yilmaz"},
		{"İbrahim Güneş", "Ibrahim Gunes"},
		{"Nguyễn Thị Hương", "Nguyen Thi Huong"},
		{"Əliyev", "Aliyev"},
		{"Mu\u0308ller", "Muller"},
		{"Jean--Paul", "Jean-Paul"},
		{"Jean \t Paul", "Jean Paul"},
		{" Smith ", "Smith"},
		{"Иванов", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, domain.NormalizeLatin(tt.in))
		})
	}
}

func TestMatchLatin_AcceptsTransliterationOrDocumentSpelling(t *testing.T) {
	tests := []struct {
		name, cyrillic, latin string
		document              []string
	}{
		{"exact", "Иванов", "Ivanov", nil},
		{"case-insensitive", "Иванов", "IVANOV", nil},
		{"diacritics in the given spelling", "Пётр", "Pyótr", nil},
		{"extra spaces and double hyphen", "Салтыков-Щедрин", " Saltykov--Shchedrin ", nil},
		{"document's Latin name", "Пётр", "Petr", []string{"PETR"}},
		{"document's Latin with diacritics", "Мюллер", "Muller", []string{"Müller"}},
		{"both empty (no patronymic)", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NoError(t, domain.MatchLatin(tt.cyrillic, tt.latin, tt.document...))
		})
	}
}

func TestMatchLatin_MismatchCarriesBothSpellings(t *testing.T) {
	err := domain.MatchLatin("Хрущёв", "Hrushev", "KHRUSHCHEV")
	requireCode(t, err, domain.CodeTranslitMismatch)
	de := err.(*domain.Error)
	require.NotNil(t, de.Details)
	assert.Equal(t, "Khrushchyov", de.Details["expected"])
	assert.Equal(t, "Hrushev", de.Details["given"])

	requireCode(t, domain.MatchLatin("Иванов", ""), domain.CodeTranslitMismatch)
	requireCode(t, domain.MatchLatin("Иванов", "Иванов"), domain.CodeTranslitMismatch)
	requireCode(t, domain.MatchLatin("Иванов", "Ivanova", ""), domain.CodeTranslitMismatch)
}

func FuzzTransliterate(f *testing.F) {
	for _, s := range []string{"Салтыков-Щедрин", "ЩУКИН", "d'Artagnan", "Müller", "  --  ", "Фе\u0308дор", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, out := range []string{domain.Transliterate(in), domain.NormalizeLatin(in)} {
			for i := 0; i < len(out); i++ {
				c := out[i]
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' || c == '-') {
					t.Fatalf("Transliterate(%q) = %q: byte %q is not an ASCII letter, space or hyphen", in, out, c)
				}
			}
			if out != "" && (out[0] == ' ' || out[0] == '-' || out[len(out)-1] == ' ' || out[len(out)-1] == '-') {
				t.Fatalf("(%q) = %q: separator at an end", in, out)
			}
			// Normalising is idempotent, so a stored spelling always matches itself.
			if again := domain.NormalizeLatin(out); again != out {
				t.Fatalf("NormalizeLatin(%q) = %q, not idempotent", out, again)
			}
		}
	})
}
