package kurrent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// noLimit is the count asked of the server for "no limit" (the server
// reads it in pages either way).
const noLimit = math.MaxInt32

// ReadStream returns up to limit events of stream from version from
// (inclusive) in direction dir; Backward with from < 0 starts at the end.
// A missing (or deleted) stream reads as no events. A limit <= 0 means no
// limit.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from int64, limit int) ([]eventstore.RecordedEvent, error) {
	leave, err := s.enter("read " + stream)
	if err != nil {
		return nil, err
	}
	defer leave()
	count := uint64(noLimit)
	if limit > 0 {
		count = uint64(limit)
	}
	opts := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.StreamRevision{Value: uint64(max(from, 0))}}
	if dir == eventstore.Backward {
		opts.Direction, opts.From = esdb.Backwards, esdb.End{}
		if from >= 0 {
			// KurrentDB reads backward from a revision past the end as
			// from an empty range; the port starts at the last event.
			last, err := s.lastVersion(ctx, stream)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", stream, err)
			}
			if last < 0 {
				return nil, nil
			}
			opts.From = esdb.StreamRevision{Value: uint64(min(from, last))}
		}
	} else if dir != eventstore.Forward {
		return nil, fmt.Errorf("read %s: unknown direction %d", stream, dir)
	}
	recs, err := s.readStreamRecords(ctx, stream, opts, count)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	out := make([]eventstore.RecordedEvent, 0, len(recs))
	for _, r := range recs {
		n, err := s.globalPosition(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		out = append(out, fromRecorded(r, n))
	}
	return out, nil
}

// readStreamRecords reads a stream; a missing or deleted stream is empty.
func (s *Store) readStreamRecords(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) ([]*esdb.RecordedEvent, error) {
	rs, err := s.client.ReadStream(ctx, stream, opts, count)
	if err != nil {
		return nil, err
	}
	var recs []*esdb.RecordedEvent
	_, _, err = drain(rs, func(r *esdb.RecordedEvent) bool {
		recs = append(recs, r)
		return true
	})
	if isCode(err, esdb.ErrorCodeResourceNotFound) || isCode(err, esdb.ErrorCodeStreamDeleted) {
		return nil, nil
	}
	return recs, err
}

// lastVersion returns the version of a stream's last event, -1 when the
// stream does not exist.
func (s *Store) lastVersion(ctx context.Context, stream string) (int64, error) {
	recs, err := s.readStreamRecords(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return -1, nil
	}
	return int64(recs[0].EventNumber), nil
}

// globalPosition numbers an event read from a stream.
func (s *Store) globalPosition(ctx context.Context, r *esdb.RecordedEvent) (uint64, error) {
	if r.Position.Commit == math.MaxUint64 {
		return 0, errors.New("the server sends no positions on stream reads; KurrentDB/EventStoreDB 22.6 or later is required")
	}
	return s.idx.ordinalOf(ctx, r.Position)
}

// ReadAll returns up to limit events of the global log with position >
// after (a limit <= 0 means no limit). It starts at the $all position the
// index holds for after and numbers the user events it meets from there.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	leave, err := s.enter("read all")
	if err != nil {
		return nil, err
	}
	defer leave()
	from, start := esdb.Position{}, true
	if after > 0 {
		p, ok, err := s.idx.at(ctx, after)
		if err != nil {
			return nil, fmt.Errorf("read all after %d: %w", after, err)
		}
		if !ok {
			return nil, nil // nothing after a position past the head
		}
		from, start = p, false
	}
	var out []eventstore.RecordedEvent
	var failed error
	n := after
	err = s.scanAll(ctx, from, start, pageFor(limit, s.opts.PageSize), func(r *esdb.RecordedEvent) bool {
		if !isUserEvent(r.StreamID, r.EventType) {
			return true
		}
		n++
		if failed = s.idx.check(ctx, r.Position, n); failed != nil {
			return false
		}
		out = append(out, fromRecorded(r, n))
		return limit <= 0 || len(out) < limit
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	return out, nil
}

// pageFor sizes $all reads for a caller that wants limit events: a little
// more than limit (system events sit between user events), within PageSize.
func pageFor(limit, pageSize int) int {
	if limit <= 0 {
		return pageSize
	}
	return min(pageSize, max(limit+1, 64))
}

// Head returns the global position of the last user event in $all, 0 when
// there is none. It reads the tail of $all that the index has not seen.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	leave, err := s.enter("head")
	if err != nil {
		return 0, err
	}
	defer leave()
	h, err := s.idx.sync(ctx)
	if err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	return h, nil
}

// scanAll reads $all forward from just after from (from the start when
// start), page by page, calling visit for every record (system ones too)
// until visit returns false or the end of the log.
func (s *Store) scanAll(ctx context.Context, from esdb.Position, start bool, size int, visit func(*esdb.RecordedEvent) bool) error {
	for {
		var pos esdb.AllPosition = esdb.Start{}
		if !start {
			pos = from // inclusive: the first record is from itself
		}
		rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: pos}, uint64(size))
		if err != nil {
			return fmt.Errorf("read $all: %w", err)
		}
		n, more, err := drain(rs, func(r *esdb.RecordedEvent) bool {
			if !start && !after(r.Position, from) {
				return true
			}
			from, start = r.Position, false
			return visit(r)
		})
		if err != nil {
			return fmt.Errorf("read $all: %w", err)
		}
		if !more || n < size {
			return nil
		}
	}
}

// drain receives a read to its end, or until visit returns false, and
// closes it; n counts the records received, more is false when visit
// stopped early.
func drain(rs *esdb.ReadStream, visit func(*esdb.RecordedEvent) bool) (n int, more bool, err error) {
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return n, true, err
		}
		n++
		r := ev.OriginalEvent()
		if r == nil {
			continue
		}
		if !visit(r) {
			return n, false, nil
		}
	}
}
