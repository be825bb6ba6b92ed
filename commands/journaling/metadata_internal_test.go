package journaling

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viaJSON is the reference decodeMetadata must agree with.
func viaJSON(b []byte) metadata {
	var m metadata
	if len(b) > 0 && json.Unmarshal(b, &m) != nil {
		return metadata{}
	}
	return m
}

var metadataSamples = []string{
	``,
	`{}`,
	` { } `,
	`{"actor_id":"a1","actor_role":"citizen","correlation_id":"c","causation_id":"x","source_ip":"10.1.2.3",` +
		`"user_agent":"test-agent/1.0","command":"ConfirmContact","command_id":"id-1"}`,
	`{"actor_id":"a1","command":"ConfirmContact","command_id":"id-1","outcome":"refused","reason":"code_invalid"}`,
	"{\n \"actor_id\" : \"a1\" ,\t\"command\":\"C\"\r}",
	`{"tool":"import"}`,
	`{"actor_id":"a1","actor_id":"a2"}`,
	`{"actor_id":"a1","ACTOR_ID":"a2"}`,
	`{"Actor_Id":"a2"}`,
	"{\"actor_\u212aid\":\"kelvin\"}",
	`{"user_agent":"Mozilla \"quoted\" \\ back"}`,
	`{"user_agent":"\u00e9t\u00e9 \u003cb\u003e"}`,
	"{\"user_agent\":\"été ✓ \u2028\"}",
	"{\"user_agent\":\"bad \xff utf8\"}",
	"{\"user_agent\":\"tab\tinside\"}",
	`{"actor_id":null,"command":"C"}`,
	`{"actor_id":1}`,
	`{"n":1,"actor_id":"a"}`,
	`{"nested":{"actor_id":"x"},"actor_id":"a"}`,
	`{"actor_id":"a",}`,
	`{"actor_id":"a"} x`,
	`{"actor_id":"a"`,
	`{"actor_id" "a"}`,
	`["actor_id","a"]`,
	`null`,
	`"str"`,
	`{"actor_id":"a"}{}`,
}

func TestDecodeMetadata_AgreesWithEncodingJSON(t *testing.T) {
	for _, s := range metadataSamples {
		assert.Equal(t, viaJSON([]byte(s)), decodeMetadata([]byte(s)), "metadata %q", s)
	}
}

func TestDecodeMetadata_TakesTheFastPathForWhatCommandsWrites(t *testing.T) {
	b := []byte(metadataSamples[3])
	_, ok := scanFlatMetadata(b)
	require.True(t, ok)
	allocs := testing.AllocsPerRun(100, func() { decodeMetadata(b) })
	assert.LessOrEqual(t, allocs, 1.0, "one string holds every field")
}

func FuzzDecodeMetadata(f *testing.F) {
	for _, s := range metadataSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := decodeMetadata(b), viaJSON(b); got != want {
			t.Fatalf("metadata %q: got %+v, encoding/json says %+v", b, got, want)
		}
	})
}
