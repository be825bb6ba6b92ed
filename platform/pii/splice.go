package pii

// sealedMember finds the top-level member "pii" of a JSON object and
// returns the byte range of the whole member (name, colon and string
// value) and the string's contents, which Seal writes without escapes.
// ok is false when there is none at the top level, or raw is not an object
// this scan understands (Open then falls back to decoding it).
func sealedMember(raw []byte) (start, end int, value string, ok bool) {
	const name = `"` + SealedField + `"`
	depth, inString, escaped, keyStart := 0, false, false, -1
	expectKey := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				if keyStart >= 0 && depth == 1 && string(raw[keyStart:i+1]) == name {
					return valueAfter(raw, keyStart, i+1)
				}
				keyStart = -1
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			if depth == 1 && expectKey {
				keyStart = i
			}
			expectKey = false
		case '{':
			depth++
			expectKey = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		}
	}
	return 0, 0, "", false
}

// valueAfter reads `:"…"` after the member name ending at i, a string
// without escapes.
func valueAfter(raw []byte, start, i int) (int, int, string, bool) {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	if i >= len(raw) || raw[i] != ':' {
		return 0, 0, "", false
	}
	i++
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	if i >= len(raw) || raw[i] != '"' {
		return 0, 0, "", false
	}
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			return 0, 0, "", false
		case '"':
			return start, j + 1, string(raw[i+1 : j]), true
		}
	}
	return 0, 0, "", false
}
