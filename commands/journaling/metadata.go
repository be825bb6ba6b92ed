package journaling

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// metadata is the part of commands.Metadata the journal reads. It is
// decoded here, not imported, so that package commands may depend on this
// one; a test keeps the two in step.
type metadata struct {
	ActorID       string `json:"actor_id"`
	ActorRole     string `json:"actor_role"`
	CorrelationID string `json:"correlation_id"`
	SourceIP      string `json:"source_ip"`
	UserAgent     string `json:"user_agent"`
	Command       string `json:"command"`
	CommandID     string `json:"command_id"`
	Outcome       string `json:"outcome"`
	Reason        string `json:"reason"`
	Traceparent   string `json:"traceparent"`
}

// ours reports whether the metadata is a command's (names the command and
// its execution).
func (m *metadata) ours() bool { return m.Command != "" && m.CommandID != "" }

// decodeMetadata parses an event's metadata as encoding/json would into
// metadata; anything unreadable reads as none. What commands writes — one
// flat object of plain strings — takes a fast path (one allocation, for
// all the fields); anything else goes through encoding/json.
func decodeMetadata(b []byte) metadata {
	if len(b) == 0 {
		return metadata{}
	}
	if m, ok := scanFlatMetadata(b); ok {
		return m
	}
	var m metadata
	if json.Unmarshal(b, &m) != nil {
		return metadata{}
	}
	return m
}

// scanFlatMetadata decodes b when it is a JSON object whose members are
// all strings free of escapes and control characters, and whose names
// either equal a field's exactly or match none even ignoring case (where
// encoding/json's case-insensitive match would differ). ok is false for
// anything else, including invalid JSON, so the caller can fall back.
func scanFlatMetadata(b []byte) (m metadata, ok bool) {
	s := string(b) // one allocation; the fields are substrings of it
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return metadata{}, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return m, skipSpace(s, i+1) == len(s)
	}
	for {
		var key, val string
		if key, i, ok = plainString(s, i); !ok {
			return metadata{}, false
		}
		if i = skipSpace(s, i); i >= len(s) || s[i] != ':' {
			return metadata{}, false
		}
		if val, i, ok = plainString(s, skipSpace(s, i+1)); !ok {
			return metadata{}, false
		}
		if f := m.field(key); f != nil {
			*f = val
		} else if foldsToField(key) {
			return metadata{}, false
		}
		if i = skipSpace(s, i); i >= len(s) {
			return metadata{}, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			return m, skipSpace(s, i+1) == len(s)
		default:
			return metadata{}, false
		}
	}
}

// field returns the field whose JSON name is exactly key, else nil.
func (m *metadata) field(key string) *string {
	switch key {
	case "actor_id":
		return &m.ActorID
	case "actor_role":
		return &m.ActorRole
	case "correlation_id":
		return &m.CorrelationID
	case "source_ip":
		return &m.SourceIP
	case "user_agent":
		return &m.UserAgent
	case "command":
		return &m.Command
	case "command_id":
		return &m.CommandID
	case "outcome":
		return &m.Outcome
	case "reason":
		return &m.Reason
	case "traceparent":
		return &m.Traceparent
	}
	return nil
}

// metadataNames are the JSON names of metadata's fields.
var metadataNames = [...]string{"actor_id", "actor_role", "correlation_id", "source_ip", "user_agent",
	"command", "command_id", "outcome", "reason", "traceparent"}

// foldsToField reports whether encoding/json might match key, which is no
// field's exact name, to a field case-insensitively (it folds some non-ASCII
// letters, e.g. U+212A KELVIN SIGN to k, hence any non-ASCII key counts).
func foldsToField(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return true
		}
	}
	for _, n := range metadataNames {
		if strings.EqualFold(key, n) {
			return true
		}
	}
	return false
}

// plainString reads the JSON string starting at s[i] when it holds no
// escape, no control character and only valid UTF-8 (so that its bytes are
// its value); next is the index after its closing quote.
func plainString(s string, i int) (v string, next int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	ascii := true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v = s[i+1 : j]
			if !ascii && !utf8.ValidString(v) {
				return "", 0, false
			}
			return v, j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", 0, false
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}
