package signin

import (
	"database/sql"
	"errors"
	"unicode/utf8"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
