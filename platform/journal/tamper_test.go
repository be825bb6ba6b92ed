package journal_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// tamperHistory is 35 entries with checkpoints at 10, 20 and 30.
func tamperHistory(t *testing.T, db *sqldb.DB) *journal.Journal {
	t.Helper()
	j := open(t, db, newKey(t), journal.Options{CheckpointEvery: 10})
	for i := 0; i < 35; i += 5 {
		_, err := j.Append(context.Background(), entries(i, 5)...)
		require.NoError(t, err)
	}
	res, err := j.Verify(context.Background())
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	require.Equal(t, uint64(35), res.Entries)
	require.Equal(t, 3, res.Checkpoints)
	return j
}

func exec(t *testing.T, db *sqldb.DB, query string, args ...any) {
	t.Helper()
	_, err := db.ExecContext(context.Background(), query, args...)
	require.NoError(t, err)
}

// rewriteLeaf edits entry seq's action and rewrites its stored leaf hash to
// match, as an attacker who knows the leaf encoding would.
func rewriteLeaf(t *testing.T, db *sqldb.DB, j *journal.Journal, seq uint64) []byte {
	e, err := j.Entry(context.Background(), seq)
	require.NoError(t, err)
	e.Action = "NothingHappened"
	h := rfc6962.DefaultHasher.HashLeaf(journal.CanonicalLeaf(e))
	exec(t, db, `UPDATE journal_entries SET action = ?, leaf_hash = ? WHERE seq = ?`, e.Action, h, seq)
	return h
}

func u64(v uint64) *uint64 { return &v }

func TestVerify_NamesTheFirstBadSeqOfEveryTampering(t *testing.T) {
	tests := []struct {
		name           string
		tamper         func(t *testing.T, db *sqldb.DB, j *journal.Journal)
		wantSeq        *uint64
		wantCheckpoint *uint64
		wantReason     string
	}{
		{"edited row", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `UPDATE journal_entries SET outcome = 'done', reason = '' WHERE seq = 13`)
		}, u64(13), nil, "leaf hash"},
		{"edited time", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `UPDATE journal_entries SET at_us = at_us + 1 WHERE seq = 13`)
		}, u64(13), nil, "leaf hash"},
		{"edited event positions", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `UPDATE journal_entries SET event_positions = '25,26,99' WHERE seq = 12`)
		}, u64(12), nil, "leaf hash"},
		{"edited ip", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `UPDATE journal_entries SET ip = '192.0.2.1' WHERE seq = 14`)
		}, u64(14), nil, "ip does not match"},
		{"deleted row", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `DELETE FROM journal_entries WHERE seq = 12`)
		}, u64(12), nil, "missing"},
		{"deleted last row", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `DELETE FROM journal_entries WHERE seq = 34`)
		}, u64(34), nil, "missing"},
		{"swapped rows", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `UPDATE journal_entries SET seq = -1 WHERE seq = 12`)
			exec(t, db, `UPDATE journal_entries SET seq = 12 WHERE seq = 17`)
			exec(t, db, `UPDATE journal_entries SET seq = 17 WHERE seq = -1`)
		}, u64(12), nil, "leaf hash"},
		{"row appended beyond the tree", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `INSERT INTO journal_entries SELECT 35, at_us, actor_id, actor_role, action, account_id,
				outcome, reason, correlation_id, event_positions, ip, ip_salt, ip_hash, user_agent, ua_salt,
				ua_hash, leaf_hash, account_set FROM journal_entries WHERE seq = 5`)
		}, u64(35), nil, "beyond the tree size"},
		{"row inserted in the middle", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `UPDATE journal_entries SET seq = seq + 1000 WHERE seq >= 12`)
			exec(t, db, `UPDATE journal_entries SET seq = seq - 999 WHERE seq >= 1000`)
			exec(t, db, `INSERT INTO journal_entries SELECT 12, at_us, actor_id, actor_role, action, account_id,
				outcome, reason, correlation_id, event_positions, ip, ip_salt, ip_hash, user_agent, ua_salt,
				ua_hash, leaf_hash, account_set FROM journal_entries WHERE seq = 5`)
		}, u64(12), nil, "leaf hash"},
		{"edited row with its leaf hash rewritten", func(t *testing.T, db *sqldb.DB, j *journal.Journal) {
			rewriteLeaf(t, db, j, 13)
		}, u64(13), u64(20), "checkpoint 20"},
		{"edited row with its leaf hash and leaf node rewritten", func(t *testing.T, db *sqldb.DB, j *journal.Journal) {
			h := rewriteLeaf(t, db, j, 13)
			exec(t, db, `UPDATE journal_nodes SET hash = ? WHERE level = 0 AND idx = 13`, h)
		}, u64(12), u64(20), "subtree (level 1, index 6) over entries [12, 14)"},
		{"edited row after the last checkpoint with its leaf hash rewritten", func(t *testing.T, db *sqldb.DB, j *journal.Journal) {
			rewriteLeaf(t, db, j, 32)
		}, u64(32), nil, "writer state"},
		{"forged checkpoint", func(t *testing.T, db *sqldb.DB, _ *journal.Journal) {
			exec(t, db, `UPDATE journal_checkpoints SET note = replace(note, ?, ?) WHERE size = 20`, "\n20\n", "\n21\n")
		}, nil, u64(20), "checkpoint 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
				j := tamperHistory(t, db)
				tt.tamper(t, db, j)
				res, err := j.Verify(context.Background())
				require.NoError(t, err)
				t.Logf("verify: %s", res.Reason)
				assert.False(t, res.OK)
				assert.Equal(t, tt.wantSeq, res.FirstBadSeq, "first bad seq; reason: %s", res.Reason)
				assert.Equal(t, tt.wantCheckpoint, res.FirstBadCheckpoint, "first bad checkpoint; reason: %s", res.Reason)
				assert.Contains(t, res.Reason, tt.wantReason)
			})
		})
	}
}
