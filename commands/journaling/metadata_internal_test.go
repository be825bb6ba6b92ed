package journaling

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecodeMetadata_ReadsWhatCommandsWritesAndNothingFromTheUnreadable(t *testing.T) {
	m := decodeMetadata([]byte(`{"actor_id":"a1","actor_role":"citizen","command":"ConfirmContact","command_id":"id-1",` +
		`"outcome":"refused","reason":"code_invalid","causation_id":"ignored"}`))
	assert.Equal(t, metadata{ActorID: "a1", ActorRole: "citizen", Command: "ConfirmContact", CommandID: "id-1",
		Outcome: "refused", Reason: "code_invalid"}, m)
	assert.True(t, m.ours())
	for _, bad := range []string{``, `null`, `{"actor_id":1}`, `{"actor_id":"a"`, `["actor_id"]`} {
		assert.Equal(t, metadata{}, decodeMetadata([]byte(bad)), "metadata %q", bad)
	}
	other := decodeMetadata([]byte(`{"tool":"import"}`))
	assert.False(t, other.ours(), "not a command's")
}
