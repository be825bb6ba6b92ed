package kurrent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// expectedRevision maps the port's precondition onto the client's:
// NoStream → esdb.NoStream{}, Any → esdb.Any{}, Exact(v) →
// esdb.StreamRevision{Value: v}. (esdb.StreamExists{} has no counterpart
// in the port.)
func expectedRevision(e eventstore.ExpectedVersion) (esdb.ExpectedRevision, error) {
	switch {
	case e == eventstore.Any:
		return esdb.Any{}, nil
	case e == eventstore.NoStream:
		return esdb.NoStream{}, nil
	case e >= 0:
		return esdb.StreamRevision{Value: uint64(e)}, nil
	}
	return nil, fmt.Errorf("invalid expected version %d", int64(e))
}

// unknownVersion is ConflictError.Actual when the stream's version could
// not be read after a conflict.
const unknownVersion = -3

// Append writes events to stream atomically if expected holds; KurrentDB
// acknowledges only after the write is durable (on a quorum in a cluster).
//
// A retry of the same event ids at the same place is answered with the
// original result, as KurrentDB treats it as idempotent. A wrong expected
// version is a *eventstore.ConflictError whose Actual is read from the
// stream right after (the client's error carries only a message), so it
// may already be newer than at the moment of the conflict; -3 if even
// that read fails.
//
// The global positions of the result come from reading the appended events
// back from the stream and numbering them with the index.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.EventData) (eventstore.AppendResult, error) {
	leave, err := s.enter("append to " + stream)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer leave()
	if err := validate(stream, expected, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	rev, err := expectedRevision(expected)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	data := make([]esdb.EventData, len(events))
	for i, e := range events {
		data[i] = toEventData(e)
	}
	res, err := s.appendFollowingLeader(ctx, stream, rev, data)
	if isCode(err, esdb.ErrorCodeWrongExpectedVersion) {
		actual, lerr := s.lastVersion(ctx, stream)
		if lerr != nil {
			actual = unknownVersion
		}
		return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: actual}
	}
	if err != nil {
		if s.closed.Load() {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, eventstore.ErrClosed)
		}
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	out, err := s.locate(ctx, stream, events, res.NextExpectedVersion)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	return out, nil
}

// leaderRetries bounds how often an append is sent again after the server
// answered that it is not the leader (or was unavailable), while the client
// reconnects to the leader the answer named.
const leaderRetries = 5

// appendFollowingLeader appends, and when the node answers NotLeader (the
// client then reconnects to the leader named in the answer), is
// unavailable, or the request could not be sent on a connection the server
// had just closed (io.EOF; gRPC dials again), sends the same events again
// after a short pause: KurrentDB treats a repeat of the same event ids at
// the same place as one append.
func (s *Store) appendFollowingLeader(ctx context.Context, stream string, rev esdb.ExpectedRevision, data []esdb.EventData) (*esdb.WriteResult, error) {
	pause := 20 * time.Millisecond
	for try := 0; ; try++ {
		res, err := s.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: rev}, data...)
		if try == leaderRetries || !(isCode(err, esdb.ErrorCodeNotLeader) || isCode(err, esdb.ErrorUnavailable) || errors.Is(err, io.EOF)) {
			return res, err
		}
		s.opts.Logger.Warn("kurrentdb: append answered not-leader or unavailable, or was not sent; sending it again", "stream", stream, "try", try+1, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// locate finds where the appended events landed: the stream's events
// last-n+1 … last must be ours, and their $all positions give the global
// positions.
func (s *Store) locate(ctx context.Context, stream string, events []eventstore.EventData, last uint64) (eventstore.AppendResult, error) {
	n := uint64(len(events))
	if last+1 < n {
		return eventstore.AppendResult{}, fmt.Errorf("server answered revision %d for %d events", last, n)
	}
	first := last + 1 - n
	recs, err := s.readStreamRecords(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.StreamRevision{Value: first}}, n)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("read the appended events back: %w", err)
	}
	if uint64(len(recs)) != n {
		return eventstore.AppendResult{}, fmt.Errorf("read %d appended events back, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.EventID != events[i].ID {
			return eventstore.AppendResult{}, fmt.Errorf("event %d at version %d is %s, want %s", i, r.EventNumber, r.EventID, events[i].ID)
		}
	}
	firstPos, err := s.globalPosition(ctx, recs[0])
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	lastPos, err := s.globalPosition(ctx, recs[n-1])
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if lastPos-firstPos != n-1 {
		return eventstore.AppendResult{}, fmt.Errorf("appended events numbered %d…%d, not contiguous", firstPos, lastPos)
	}
	return eventstore.AppendResult{FirstPosition: firstPos, LastPosition: lastPos, NextVersion: int64(last)}, nil
}
