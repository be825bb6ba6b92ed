package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kabinet/kabinet/platform/eventstore"
)

const eventColumns = `position, stream_id, version, event_id, type, schema_version,
	data, metadata, occurred_at, recorded_at`

// readStmts are the read queries, prepared once. Reads run outside any
// transaction: each is one statement, which sees one committed state.
type readStmts struct {
	all, forward, backward *limitedQuery
	head                   *sql.Stmt
}

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	var err error
	for _, q := range []struct {
		dst  **limitedQuery
		base string
		n    int
	}{
		{&r.all, `SELECT ` + eventColumns + ` FROM events
			WHERE position > $1 ORDER BY position LIMIT `, 2},
		{&r.forward, `SELECT ` + eventColumns + ` FROM events
			WHERE stream_id = $1 AND version >= $2 ORDER BY version LIMIT `, 3},
		{&r.backward, `SELECT ` + eventColumns + ` FROM events
			WHERE stream_id = $1 AND version <= $2 ORDER BY version DESC LIMIT `, 3},
	} {
		if *q.dst, err = prepareLimited(ctx, db, q.base, q.n); err != nil {
			r.close()
			return err
		}
	}
	if err = prepareAll(ctx, db, []prep{{&r.head, `SELECT position FROM event_head WHERE id = 1`}}); err != nil {
		r.close()
	}
	return err
}

func (r *readStmts) close() {
	for _, q := range []*limitedQuery{r.all, r.forward, r.backward} {
		q.close()
	}
	if r.head != nil {
		r.head.Close()
	}
}

// ReadStream returns up to limit events of stream from version from
// (inclusive) in direction dir; Backward with from < 0 starts at the end.
// A missing stream reads as no events.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from int64, limit int) ([]eventstore.RecordedEvent, error) {
	if s.isDone.Load() {
		return nil, fmt.Errorf("read %s: %w", stream, eventstore.ErrClosed)
	}
	var (
		rows *sql.Rows
		err  error
	)
	switch dir {
	case eventstore.Forward:
		rows, err = s.reads.forward.query(ctx, sqlLimit(limit), stream, max(from, 0))
	case eventstore.Backward:
		if from < 0 {
			from = math.MaxInt64
		}
		rows, err = s.reads.backward.query(ctx, sqlLimit(limit), stream, from)
	default:
		return nil, fmt.Errorf("read %s: unknown direction %d", stream, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	evs, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return evs, nil
}

// ReadAll returns up to limit events of the global log after position after.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if s.isDone.Load() {
		return nil, fmt.Errorf("read all: %w", eventstore.ErrClosed)
	}
	if after > math.MaxInt64 {
		return nil, nil
	}
	rows, err := s.reads.all.query(ctx, sqlLimit(limit), int64(after))
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	evs, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	return evs, nil
}

// Head returns the last committed global position (0 when the log is empty).
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if s.isDone.Load() {
		return 0, fmt.Errorf("head: %w", eventstore.ErrClosed)
	}
	var head int64
	if err := s.reads.head.QueryRowContext(ctx).Scan(&head); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	return uint64(head), nil
}

// sqlLimit turns "limit <= 0: no limit" into a LIMIT both databases take.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return math.MaxInt64
	}
	return int64(limit)
}

func scanEvents(rows *sql.Rows, hint int) ([]eventstore.RecordedEvent, error) {
	defer rows.Close()
	// Room for a few events at first, however large the limit: most reads
	// (a command's stream, a live batch after a delivered event) return
	// far fewer events than they allow, and growing costs a few copies on
	// a long read.
	var out []eventstore.RecordedEvent
	if hint > 0 {
		out = make([]eventstore.RecordedEvent, 0, min(hint, initialEvents))
	}
	for rows.Next() {
		var (
			e                  eventstore.RecordedEvent
			pos                int64
			occurred, recorded any
		)
		err := rows.Scan(&pos, &e.StreamID, &e.Version, &e.ID, &e.Type, &e.SchemaVersion,
			&e.Data, &e.Metadata, &occurred, &recorded)
		if err != nil {
			return nil, err
		}
		e.Position = uint64(pos)
		if e.OccurredAt, err = parseTime(occurred); err != nil {
			return nil, err
		}
		if e.RecordedAt, err = parseTime(recorded); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// initialEvents is the room scanEvents makes before it sees how many rows
// come.
const initialEvents = 16

// maxPositions bounds the positions of one ReadPositions query.
const maxPositions = 500

// ReadPositions returns the events at positions, in position order, one
// query per maxPositions positions (eventstore.PositionReader).
func (s *Store) ReadPositions(ctx context.Context, positions []uint64) ([]eventstore.RecordedEvent, error) {
	if s.isDone.Load() {
		return nil, fmt.Errorf("read positions: %w", eventstore.ErrClosed)
	}
	out := make([]eventstore.RecordedEvent, 0, len(positions))
	for len(positions) > 0 {
		chunk := positions[:min(len(positions), maxPositions)]
		positions = positions[len(chunk):]
		var q strings.Builder
		args := make([]any, len(chunk))
		q.WriteString(`SELECT ` + eventColumns + ` FROM events WHERE position IN (`)
		for i, p := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("$" + strconv.Itoa(i+1))
			args[i] = int64(min(p, math.MaxInt64))
		}
		q.WriteString(`) ORDER BY position`)
		rows, err := s.sql.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("read positions: %w", err)
		}
		evs, err := scanEvents(rows, len(chunk))
		if err != nil {
			return nil, fmt.Errorf("read positions: %w", err)
		}
		out = append(out, evs...)
	}
	return out, nil
}
