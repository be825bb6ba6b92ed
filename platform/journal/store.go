package journal

import (
	"context"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/platform/schema"
)

// hashSize is the size of every tree hash (SHA-256).
const hashSize = 32

// rangeFactory builds compact ranges with RFC 6962 node hashing.
var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// ddl is the journal's first migration; {blob} is the binary type, {suffix} the nodes table
// suffix, {seq} the type of seq: on SQLite INTEGER, which makes seq the
// table's rowid, so an entry is one B-tree insert fewer than with a
// separate primary-key index (journals created before keep theirs; both
// read and write alike).
var ddl = []string{
	`CREATE TABLE IF NOT EXISTS journal_entries (
		seq {seq} PRIMARY KEY,
		at_us BIGINT NOT NULL,
		actor_id TEXT NOT NULL,
		actor_role TEXT NOT NULL,
		action TEXT NOT NULL,
		account_id TEXT NOT NULL,
		outcome TEXT NOT NULL,
		reason TEXT NOT NULL,
		correlation_id TEXT NOT NULL,
		event_positions TEXT NOT NULL,
		ip TEXT, ip_salt {blob}, ip_hash {blob},
		user_agent TEXT, ua_salt {blob}, ua_hash {blob},
		leaf_hash {blob} NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS journal_entries_account ON journal_entries (account_id, seq)`,
	// Only entries whose actor is not their account: a citizen acting on
	// their own account, most entries, is found by the account index (see
	// scanByActor), so this index costs them no insert. Journals created
	// before had an index of every actor, which this replaces.
	`DROP INDEX IF EXISTS journal_entries_actor`,
	`CREATE INDEX IF NOT EXISTS journal_entries_actor_other ON journal_entries (actor_id, seq)
		WHERE actor_id <> account_id`,
	`CREATE INDEX IF NOT EXISTS journal_entries_at ON journal_entries (at_us)`,
	// Every complete subtree: level 0 are the leaf hashes, level L index I
	// covers leaves [I·2^L, (I+1)·2^L).
	`CREATE TABLE IF NOT EXISTS journal_nodes (
		level SMALLINT NOT NULL,
		idx BIGINT NOT NULL,
		hash {blob} NOT NULL,
		PRIMARY KEY (level, idx)){suffix}`,
	`CREATE TABLE IF NOT EXISTS journal_checkpoints (
		size BIGINT PRIMARY KEY,
		root_hash {blob} NOT NULL,
		note TEXT NOT NULL,
		issued_at_us BIGINT NOT NULL)`,
	// The writer state: tree size, the compact range [0, size) as concatenated
	// hashes, and the last checkpoint (cp_size -1: none yet).
	`CREATE TABLE IF NOT EXISTS journal_state (
		id INTEGER PRIMARY KEY,
		size BIGINT NOT NULL,
		range_hashes {blob} NOT NULL,
		cp_size BIGINT NOT NULL,
		cp_at_us BIGINT NOT NULL)`,
	`INSERT INTO journal_state (id, size, range_hashes, cp_size, cp_at_us)
		VALUES (1, 0, ?, -1, 0) ON CONFLICT (id) DO NOTHING`,
}

// Migrations are the journal's tables, oldest first.
var Migrations = schema.Component{Name: "journal", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: createTables},
	{ID: "0002_event_leaves", Up: schema.SQL(eventLeafSchema...)},
	{ID: "0003_account_sets", Up: createAccountSets},
}}

// createTables runs the DDL above: on a journal created before
// migrations were versioned it only replaces the index of every actor.
func createTables(ctx context.Context, tx bun.Tx) error {
	r := ddlTypes(tx.Dialect().Name())
	for _, stmt := range ddl {
		if _, err := tx.ExecContext(ctx, r.Replace(stmt), []byte{}); err != nil {
			return fmt.Errorf("create journal tables: %w", err)
		}
	}
	return nil
}

// ddlTypes fills in the journal's DDL for dialect d: {blob} the binary
// type, {suffix} the suffix of a table without row ids, {seq} seq's type.
func ddlTypes(d dialect.Name) *strings.Replacer {
	if d == dialect.PG {
		return strings.NewReplacer("{blob}", "BYTEA", "{suffix}", "", "{seq}", "BIGINT")
	}
	return strings.NewReplacer("{blob}", "BLOB", "{suffix}", " WITHOUT ROWID", "{seq}", "INTEGER")
}

// entryRow is a journal_entries row.
type entryRow struct {
	bun.BaseModel `bun:"table:journal_entries"`

	Seq            int64  `bun:"seq,pk"`
	AtUS           int64  `bun:"at_us"`
	ActorID        string `bun:"actor_id"`
	ActorRole      string `bun:"actor_role"`
	Action         string `bun:"action"`
	AccountID      string `bun:"account_id"`
	Outcome        string `bun:"outcome"`
	Reason         string `bun:"reason"`
	CorrelationID  string `bun:"correlation_id"`
	EventPositions string `bun:"event_positions"`
	IP             string `bun:"ip,nullzero"`
	IPSalt         []byte `bun:"ip_salt"`
	IPHash         []byte `bun:"ip_hash"`
	UserAgent      string `bun:"user_agent,nullzero"`
	UASalt         []byte `bun:"ua_salt"`
	UAHash         []byte `bun:"ua_hash"`
	LeafHash       []byte `bun:"leaf_hash"`
	AccountIDs     string `bun:"-"` // the set's list, read by fillAccounts
	AccountSet     []byte `bun:"account_set"`
}

// nodeRow is a journal_nodes row.
type nodeRow struct {
	bun.BaseModel `bun:"table:journal_nodes"`

	Level int16  `bun:"level,pk"`
	Idx   int64  `bun:"idx,pk"`
	Hash  []byte `bun:"hash"`
}

// checkpointRow is a journal_checkpoints row.
type checkpointRow struct {
	bun.BaseModel `bun:"table:journal_checkpoints"`

	Size       int64  `bun:"size,pk"`
	RootHash   []byte `bun:"root_hash"`
	Note       string `bun:"note"`
	IssuedAtUS int64  `bun:"issued_at_us"`
}

// state is the writer state row.
type state struct {
	size   uint64
	hashes [][]byte // compact range [0, size)
	cpSize int64    // -1: no checkpoint yet
	cpAtUS int64
}

// readState reads the writer state; forUpdate locks the row on PostgreSQL
// (SQLite transactions are already exclusive: sqldb begins them IMMEDIATE).
func readState(ctx context.Context, db bun.IDB, forUpdate bool) (state, error) {
	q := `SELECT size, range_hashes, cp_size, cp_at_us FROM journal_state WHERE id = 1`
	if forUpdate && db.Dialect().Name() == dialect.PG {
		q += ` FOR UPDATE`
	}
	var (
		st   state
		size int64
		raw  []byte
	)
	if err := db.QueryRowContext(ctx, q).Scan(&size, &raw, &st.cpSize, &st.cpAtUS); err != nil {
		return state{}, fmt.Errorf("read journal state: %w", err)
	}
	st.size = uint64(size)
	if len(raw)%hashSize != 0 || len(raw)/hashSize != compact.RangeSize(0, st.size) {
		return state{}, fmt.Errorf("journal state is corrupt: %d range bytes for size %d", len(raw), st.size)
	}
	for i := 0; i < len(raw); i += hashSize {
		st.hashes = append(st.hashes, raw[i:i+hashSize:i+hashSize])
	}
	return st, nil
}

// writeState stores st, provided the stored size is still oldSize.
func writeState(ctx context.Context, db bun.IDB, st state, oldSize uint64) error {
	raw := make([]byte, 0, len(st.hashes)*hashSize)
	for _, h := range st.hashes {
		raw = append(raw, h...)
	}
	res, err := db.ExecContext(ctx,
		`UPDATE journal_state SET size = ?, range_hashes = ?, cp_size = ?, cp_at_us = ? WHERE id = 1 AND size = ?`,
		int64(st.size), raw, st.cpSize, st.cpAtUS, int64(oldSize))
	if err != nil {
		return fmt.Errorf("write journal state: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("write journal state: %w", err)
	} else if n != 1 {
		return ErrConcurrentWriter
	}
	return nil
}

// rootOf returns the root hash of the tree a compact range from 0 describes.
func rootOf(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	return r.GetRootHash(nil)
}

// readNodes fetches the stored hashes of ids, in order, in one query; a
// missing node is an error.
func readNodes(ctx context.Context, db bun.IDB, ids []compact.NodeID) ([][]byte, error) {
	found, err := fetchNodes(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[id]
		if !ok || len(h) != hashSize {
			return nil, fmt.Errorf("tree node (level %d, index %d) is missing", id.Level, id.Index)
		}
		out[i] = h
	}
	return out, nil
}

// fetchNodes fetches the stored hashes of ids in one query.
func fetchNodes(ctx context.Context, db bun.IDB, ids []compact.NodeID) (map[compact.NodeID][]byte, error) {
	found := make(map[compact.NodeID][]byte, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	var b strings.Builder
	args := make([]any, 0, 2*len(ids))
	b.WriteString(`SELECT level, idx, hash FROM journal_nodes WHERE `)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(level = ? AND idx = ?)")
		args = append(args, int64(id.Level), int64(id.Index))
	}
	rows, err := db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("read tree nodes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			level, idx int64
			h          []byte
		)
		if err := rows.Scan(&level, &idx, &h); err != nil {
			return nil, fmt.Errorf("read tree nodes: %w", err)
		}
		found[compact.NewNodeID(uint(level), uint64(idx))] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tree nodes: %w", err)
	}
	return found, nil
}
