package commands

import (
	"context"
	"encoding/json"

	"github.com/kabinet/kabinet/platform/observability"
)

// Metadata is carried by every event a command writes (docs/DOMAIN.md §8), and
// is what the journal derives an accepted command's entry from.
type Metadata struct {
	ActorID       string `json:"actor_id"`
	ActorRole     string `json:"actor_role"`
	CorrelationID string `json:"correlation_id"`
	CausationID   string `json:"causation_id"`
	SourceIP      string `json:"source_ip,omitempty"`
	UserAgent     string `json:"user_agent,omitempty"`
	// Command names the command that wrote the event (the journal's action).
	Command string `json:"command"`
	// CommandID identifies one execution of a command; every event it wrote
	// shares it.
	CommandID string `json:"command_id"`
	// Outcome is "refused" when a domain rule refused the command yet its
	// decision recorded events (a wrong code is a failed attempt); Reason is
	// then the domain code. Empty means done.
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Traceparent is the W3C trace context of the request that wrote the
	// event; projections and the journal writer continue its trace.
	Traceparent string `json:"traceparent,omitempty"`
}

// Encode returns the JSON form stored with events.
func (m Metadata) Encode() ([]byte, error) { return json.Marshal(m) }

// EncodeIn is Encode with the trace context of ctx's span.
func (m Metadata) EncodeIn(ctx context.Context) ([]byte, error) {
	m.Traceparent = observability.Traceparent(ctx)
	return m.Encode()
}

type metadataKey struct{}

// WithMetadata returns ctx carrying the metadata of the command being run.
func WithMetadata(ctx context.Context, m Metadata) context.Context {
	return context.WithValue(ctx, metadataKey{}, m)
}

// MetadataFrom returns the metadata ctx carries (zero when none).
func MetadataFrom(ctx context.Context) Metadata {
	m, _ := ctx.Value(metadataKey{}).(Metadata)
	return m
}
