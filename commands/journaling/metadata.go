package journaling

import "encoding/json"

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

// decodeMetadata parses an event's metadata; anything unreadable reads
// as none.
func decodeMetadata(b []byte) metadata {
	var m metadata
	if len(b) == 0 || json.Unmarshal(b, &m) != nil {
		return metadata{}
	}
	return m
}
