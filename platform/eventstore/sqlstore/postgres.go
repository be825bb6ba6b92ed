package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// pgBackend writes on PostgreSQL, where several processes may append to one
// database. Each group transaction starts by locking the head row (SELECT …
// FOR UPDATE) and assigns positions from it; the lock is held until commit,
// so transactions take positions in the order they commit and a reader
// following "position > checkpoint" can never see position n+1 committed
// while n is still in flight (the trap of positions from a sequence). Lists
// go in as arrays (unnest, = ANY) so each statement is prepared once.
type pgBackend struct {
	head, versions, ids, writeAll, writeOne *sql.Stmt
	channel                                 string
	db                                      *sql.DB
}

func newPostgres(ctx context.Context, db *sql.DB, opts *Options) (*pgBackend, error) {
	if opts.NotifyChannel == "" {
		var schema string
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, fmt.Errorf("read current schema: %w", err)
		}
		opts.NotifyChannel = "kabinet_events_" + schema
	}
	if len(opts.NotifyChannel) > 63 { // PostgreSQL's identifier limit
		opts.NotifyChannel = opts.NotifyChannel[:63]
	}
	b := &pgBackend{channel: opts.NotifyChannel, db: db}
	err := prepareAll(ctx, db, []prep{
		{&b.head, `SELECT position FROM event_head WHERE id = 1 FOR UPDATE`},
		{&b.versions, `SELECT stream_id, version FROM event_streams WHERE stream_id = ANY($1::text[])`},
		{&b.ids, `SELECT event_id, stream_id, version, position FROM events WHERE event_id = ANY($1::uuid[])`},
		// One round trip writes the whole group. NOTIFY inside the
		// transaction is delivered only if and when it commits: listeners
		// never wake for events they cannot read yet.
		{&b.writeAll, `WITH
			ins AS (INSERT INTO events (position, stream_id, version, event_id, type, schema_version,
					data, metadata, occurred_at, recorded_at)
				SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[],
					$6::integer[], $7::bytea[], $8::bytea[], $9::timestamptz[], $10::timestamptz[])),
			str AS (INSERT INTO event_streams (stream_id, version)
				SELECT * FROM unnest($11::text[], $12::bigint[])
				ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version),
			hd AS (UPDATE event_head SET position = $13 WHERE id = 1)
			SELECT pg_notify($14, $15)`},
		// The same as one statement in its own transaction, for a group
		// planned without the head: positions are written relative ($1 holds
		// 1…n) and placed after the head the statement locks and moves, so
		// the group costs one round trip instead of four (BEGIN, the head's
		// lock, the write, COMMIT) while positions still follow commit
		// order. Every other write waits on hd's row lock: the stream
		// upsert reads hd so that it never takes a stream's row before it.
		{&b.writeOne, `WITH
			hd AS (UPDATE event_head SET position = position + $13::bigint WHERE id = 1
				RETURNING position - $13::bigint AS base),
			ins AS (INSERT INTO events (position, stream_id, version, event_id, type, schema_version,
					data, metadata, occurred_at, recorded_at)
				SELECT hd.base + u.p, u.s, u.v, u.id, u.t, u.sv, u.d, u.m, u.o, u.r
				FROM hd, unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[],
					$6::integer[], $7::bytea[], $8::bytea[], $9::timestamptz[], $10::timestamptz[])
					AS u(p, s, v, id, t, sv, d, m, o, r)),
			str AS (INSERT INTO event_streams (stream_id, version)
				SELECT u.s, u.v FROM hd, unnest($11::text[], $12::bigint[]) AS u(s, v)
				ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version)
			SELECT hd.base, pg_notify($14, (hd.base + $13::bigint)::text) FROM hd`},
	})
	if err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *pgBackend) lockHead(ctx context.Context, tx *sql.Tx) (int64, error) {
	var head int64
	err := tx.StmtContext(ctx, b.head).QueryRowContext(ctx).Scan(&head)
	return head, err
}

func (b *pgBackend) streamVersions(ctx context.Context, tx *sql.Tx, streams []string) (map[string]int64, error) {
	rows, err := tx.StmtContext(ctx, b.versions).QueryContext(ctx, streams)
	if err != nil {
		return nil, err
	}
	return scanVersions(rows, len(streams))
}

func (b *pgBackend) findIDs(ctx context.Context, tx *sql.Tx, ids []uuid.UUID) (map[uuid.UUID]eventLoc, error) {
	if len(ids) == 0 {
		return map[uuid.UUID]eventLoc{}, nil
	}
	rows, err := tx.StmtContext(ctx, b.ids).QueryContext(ctx, ids)
	if err != nil {
		return nil, err
	}
	return scanLocs(rows, len(ids))
}

func (b *pgBackend) write(ctx context.Context, tx *sql.Tx, w writeSet) error {
	_, err := tx.StmtContext(ctx, b.writeAll).ExecContext(ctx, b.args(w, strconv.FormatInt(w.head, 10))...)
	return err
}

// writeRelative implements oneShot.
func (b *pgBackend) writeRelative(ctx context.Context, w writeSet) (int64, error) {
	args := b.args(w, "")
	var base int64
	var notified string
	err := b.writeOne.QueryRowContext(ctx, args[:len(args)-1]...).Scan(&base, &notified)
	return base, err
}

// args are the write statements' parameters: the rows as arrays ($1–$10),
// the streams and their versions ($11, $12), the head or, written
// relative, the number of rows ($13), the NOTIFY channel and payload.
func (b *pgBackend) args(w writeSet, payload string) []any {
	n := len(w.rows)
	var (
		pos, ver       = make([]int64, n), make([]int64, n)
		stream, typ    = make([]string, n), make([]string, n)
		ids            = make([][16]byte, n) // not uuid.UUID: pgx would take its driver.Valuer's text and parse it back
		schema         = make([]int32, n)
		data, meta     = make([][]byte, n), make([][]byte, n)
		occurred, recd = make([]time.Time, n), make([]time.Time, n)
	)
	for i, r := range w.rows {
		e := r.event
		pos[i], stream[i], ver[i], ids[i], typ[i] = r.position, r.stream, r.version, e.ID, e.Type
		schema[i] = int32(e.SchemaVersion)
		data[i], meta[i] = nonNil(e.Data), nonNil(e.Metadata)
		occurred[i], recd[i] = e.OccurredAt.UTC().Truncate(time.Microsecond), r.recorded
	}
	return []any{pos, stream, ver, ids, typ, schema, data, meta, occurred, recd,
		w.streams, w.versions, w.head, b.channel, payload}
}

func (b *pgBackend) close() {
	for _, st := range []*sql.Stmt{b.head, b.versions, b.ids, b.writeAll, b.writeOne} {
		if st != nil {
			st.Close()
		}
	}
}
