// Package eventstore defines the event store port: append-only streams with
// optimistic concurrency, a gap-free global log and live subscriptions.
// Adapters live in sub-packages (sqlstore for SQLite and PostgreSQL) and all
// pass the contract suite in eventstoretest.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ExpectedVersion is the optimistic-concurrency precondition of an append.
// Non-negative values are the 0-based version of the stream's last event.
type ExpectedVersion int64

const (
	// Any appends whatever the stream's state.
	Any ExpectedVersion = -2
	// NoStream appends only if the stream has no events yet.
	NoStream ExpectedVersion = -1
)

// Exact returns the precondition "the stream's last event has version v".
func Exact(v int64) ExpectedVersion { return ExpectedVersion(v) }

func (e ExpectedVersion) String() string {
	switch e {
	case Any:
		return "any"
	case NoStream:
		return "no-stream"
	default:
		return fmt.Sprintf("%d", int64(e))
	}
}

// EventData is an event to append.
type EventData struct {
	ID            uuid.UUID // unique; a repeated append of the same ids is idempotent
	Type          string
	SchemaVersion int
	Data          []byte // JSON
	Metadata      []byte // JSON
	OccurredAt    time.Time
}

// RecordedEvent is an event as stored.
type RecordedEvent struct {
	Position      uint64 // global position, 1-based, gap-free, increasing in commit order
	StreamID      string
	Version       int64 // 0-based version within the stream
	ID            uuid.UUID
	Type          string
	SchemaVersion int
	Data          []byte
	Metadata      []byte
	OccurredAt    time.Time
	RecordedAt    time.Time
}

// AppendResult tells where an append landed.
type AppendResult struct {
	FirstPosition uint64
	LastPosition  uint64
	NextVersion   int64 // version of the last event now in the stream
}

// ConflictError is returned when the expected version does not hold.
type ConflictError struct {
	Stream   string
	Expected ExpectedVersion
	Actual   int64 // -1 when the stream does not exist; -3 when unknown
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("stream %s: expected version %s, actual %d", e.Stream, e.Expected, e.Actual)
}

// ErrConflict matches every *ConflictError through errors.Is.
var ErrConflict = errors.New("eventstore: wrong expected version")

// Is makes errors.Is(err, ErrConflict) true for conflicts.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("eventstore: closed")

// Direction of a stream read.
type Direction int

const (
	// Forward reads from older to newer events.
	Forward Direction = iota
	// Backward reads from newer to older events.
	Backward
)

// Store is the event store port.
type Store interface {
	// Append writes events to stream atomically if expected holds. The answer
	// is sent only after the events are durably committed.
	Append(ctx context.Context, stream string, expected ExpectedVersion, events []EventData) (AppendResult, error)
	// ReadStream returns up to limit events of stream starting at version from
	// (inclusive) in the given direction; Backward with from < 0 starts at the end.
	// A missing stream yields no events and no error.
	ReadStream(ctx context.Context, stream string, dir Direction, from int64, limit int) ([]RecordedEvent, error)
	// ReadAll returns up to limit events of the global log with position > after.
	ReadAll(ctx context.Context, after uint64, limit int) ([]RecordedEvent, error)
	// Head returns the highest committed global position (0 when empty).
	Head(ctx context.Context) (uint64, error)
	// Subscribe delivers every event with position > after, in order, then
	// follows the live tail until ctx ends. The channel closes when the
	// subscription ends; Err tells why.
	Subscribe(ctx context.Context, after uint64) (Subscription, error)
	Close() error
}

// Subscription is a live, ordered feed of the global log.
type Subscription interface {
	Events() <-chan RecordedEvent
	// Err reports why the feed closed (nil after ctx cancellation).
	Err() error
}
