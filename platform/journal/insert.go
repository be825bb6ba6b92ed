package journal

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"
)

// insertChunk bounds the rows of one INSERT statement bun renders.
const insertChunk = 500

// insertRows writes the entry and tree-node rows of an append through tx.
// On SQLite each row goes through a prepared single-row statement with
// bound parameters: SQLite parses each statement once per transaction, not
// once per call as it must for bun's rendered multi-row INSERT, and a
// single-row INSERT needs no statement journal. On PostgreSQL bun's
// multi-row INSERT saves a round trip per row.
func insertRows(ctx context.Context, tx bun.IDB, rows []entryRow, nodes []nodeRow) error {
	if stx := sqliteTx(tx); stx != nil {
		return insertSQLite(ctx, stx, rows, nodes)
	}
	for i := 0; i < len(rows); i += insertChunk {
		chunk := rows[i:min(i+insertChunk, len(rows))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("insert entries: %w", err)
		}
	}
	if err := insertSets(ctx, tx.ExecContext, rows); err != nil {
		return err
	}
	for i := 0; i < len(nodes); i += 2 * insertChunk {
		chunk := nodes[i:min(i+2*insertChunk, len(nodes))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("insert tree nodes: %w", err)
		}
	}
	return nil
}

// sqliteTx returns the database/sql transaction under tx when tx is a bun
// transaction on SQLite, else nil.
func sqliteTx(tx bun.IDB) *sql.Tx {
	if tx.Dialect().Name().String() != "sqlite" {
		return nil
	}
	switch t := tx.(type) {
	case bun.Tx:
		return t.Tx
	case *bun.Tx:
		return t.Tx
	}
	return nil
}

const (
	insertEntrySQL = `INSERT INTO journal_entries (seq, at_us, actor_id, actor_role, action, account_id,
		outcome, reason, correlation_id, event_positions, ip, ip_salt, ip_hash, user_agent, ua_salt, ua_hash,
		leaf_hash, account_set) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	insertNodeSQL = `INSERT INTO journal_nodes (level, idx, hash) VALUES (?,?,?)`
)

func insertSQLite(ctx context.Context, tx *sql.Tx, rows []entryRow, nodes []nodeRow) error {
	es, err := tx.PrepareContext(ctx, insertEntrySQL)
	if err != nil {
		return fmt.Errorf("insert entries: %w", err)
	}
	defer es.Close()
	args := make([]any, 18)
	for i := range rows {
		r := &rows[i]
		args[0], args[1], args[2], args[3], args[4], args[5] = r.Seq, r.AtUS, r.ActorID, r.ActorRole, r.Action, r.AccountID
		args[6], args[7], args[8], args[9] = r.Outcome, r.Reason, r.CorrelationID, r.EventPositions
		args[10], args[11], args[12] = nullText(r.IP), r.IPSalt, r.IPHash
		args[13], args[14], args[15] = nullText(r.UserAgent), r.UASalt, r.UAHash
		args[16], args[17] = r.LeafHash, r.AccountSet
		if _, err := es.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert entry %d: %w", r.Seq, err)
		}
	}
	if err := insertSets(ctx, tx.ExecContext, rows); err != nil {
		return err
	}
	ns, err := tx.PrepareContext(ctx, insertNodeSQL)
	if err != nil {
		return fmt.Errorf("insert tree nodes: %w", err)
	}
	defer ns.Close()
	for i := range nodes {
		n := &nodes[i]
		if _, err := ns.ExecContext(ctx, int64(n.Level), n.Idx, n.Hash); err != nil {
			return fmt.Errorf("insert tree node (%d, %d): %w", n.Level, n.Idx, err)
		}
	}
	return nil
}

// nullText is s, or NULL when s is empty (the nullable personal fields).
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}
