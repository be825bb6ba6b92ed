package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// An entry about several people at once (Entry.AccountIDs, a staff read of
// a page naming them) is one leaf that lists them all. Its row keeps, in
// account_set, the SHA-256 of the list's stored form (the ids sorted and
// joined by commas): the set's id. Each distinct set is written once, its
// list in journal_account_sets and one member row per account, so a
// person's entries are found through the sets that name them
// (scanByAccount), and reading the same page again costs one small entry,
// not one per person on it.

// accountSetSchema is the third migration after the account_set column it
// adds to journal_entries (placeholders as in ddlTypes).
var accountSetSchema = []string{
	`CREATE INDEX IF NOT EXISTS journal_entries_set ON journal_entries (account_set, seq)
		WHERE account_set IS NOT NULL`,
	`CREATE TABLE IF NOT EXISTS journal_account_sets (set_id {blob} PRIMARY KEY, account_ids TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS journal_set_members (
		account_id TEXT NOT NULL,
		set_id {blob} NOT NULL,
		PRIMARY KEY (account_id, set_id)){suffix}`,
}

func createAccountSets(ctx context.Context, tx bun.Tx) error {
	r := ddlTypes(tx.Dialect().Name())
	// A journal that predates versioned migrations runs them all again.
	var n int
	if err := tx.NewRaw(`SELECT COUNT(*) FROM `+columnsOf(tx.Dialect().Name()), "account_set").Scan(ctx, &n); err != nil {
		return fmt.Errorf("create journal account sets: %w", err)
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, r.Replace("ALTER TABLE journal_entries ADD COLUMN account_set {blob}")); err != nil {
			return fmt.Errorf("create journal account sets: %w", err)
		}
	}
	for _, stmt := range accountSetSchema {
		if _, err := tx.ExecContext(ctx, r.Replace(stmt)); err != nil {
			return fmt.Errorf("create journal account sets: %w", err)
		}
	}
	return nil
}

// CheckAccounts reports whether an entry may name account and the list
// ids: one account or a list, not both, and each id in a list non-empty
// valid UTF-8 without a comma (ErrBadRequest otherwise).
func CheckAccounts(account string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if account != "" {
		return fmt.Errorf("%w: an entry names one account or a list of them, not both", ErrBadRequest)
	}
	for _, id := range ids {
		if id == "" || strings.ContainsRune(id, ',') || !utf8.ValidString(id) {
			return fmt.Errorf("%w: account id %q in a list of accounts", ErrBadRequest, id)
		}
	}
	return nil
}

// columnsOf is where d lists journal_entries' columns by name (one ?).
func columnsOf(d dialect.Name) string {
	if d == dialect.PG {
		return `information_schema.columns WHERE table_schema = current_schema() AND table_name = 'journal_entries' AND column_name = ?`
	}
	return `pragma_table_info('journal_entries') WHERE name = ?`
}

// parseAccountList splits the stored form of a list of accounts.
func parseAccountList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// checkAccountList reports what is wrong with a stored list and set id, or "".
func checkAccountList(list, set []byte) string {
	if len(list) == 0 {
		if set != nil {
			return "an account set is stored without its accounts"
		}
		return ""
	}
	prev := []byte(nil)
	for part := range bytes.SplitSeq(list, []byte{','}) {
		if len(part) == 0 || (prev != nil && bytes.Compare(prev, part) >= 0) {
			return "the list of accounts is not canonical"
		}
		prev = part
	}
	sum := sha256.Sum256(list)
	if !bytes.Equal(sum[:], set) {
		return "the account set is not the hash of its accounts"
	}
	return ""
}

// insertSets writes the account sets of rows that are not yet stored, each
// with its members, through exec (the append's transaction).
func insertSets(ctx context.Context, exec func(ctx context.Context, query string, args ...any) (sql.Result, error), rows []entryRow) error {
	var done map[string]bool
	for i := range rows {
		r := &rows[i]
		if r.AccountSet == nil || done[string(r.AccountSet)] {
			continue
		}
		if done == nil {
			done = map[string]bool{}
		}
		done[string(r.AccountSet)] = true
		res, err := exec(ctx, insertSetSQL, r.AccountSet, r.AccountIDs)
		if err != nil {
			return fmt.Errorf("insert account set: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert account set: %w", err)
		} else if n == 0 {
			continue // stored before, with its members
		}
		for _, id := range parseAccountList(r.AccountIDs) {
			if _, err := exec(ctx, insertMemberSQL, id, r.AccountSet); err != nil {
				return fmt.Errorf("insert account set member: %w", err)
			}
		}
	}
	return nil
}

const (
	insertSetSQL    = `INSERT INTO journal_account_sets (set_id, account_ids) VALUES (?, ?) ON CONFLICT (set_id) DO NOTHING`
	insertMemberSQL = `INSERT INTO journal_set_members (account_id, set_id) VALUES (?, ?)`
)

// fillAccounts reads the lists of the account sets rows name.
func fillAccounts(ctx context.Context, db bun.IDB, rows []entryRow) error {
	var ids [][]byte
	var seen map[string]bool // allocated only when an entry names a set
	for i := range rows {
		if s := rows[i].AccountSet; s != nil && !seen[string(s)] {
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[string(s)] = true
			ids = append(ids, s)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var sets []struct {
		SetID      []byte `bun:"set_id"`
		AccountIDs string `bun:"account_ids"`
	}
	if err := db.NewSelect().Table("journal_account_sets").Column("set_id", "account_ids").
		Where("set_id IN (?)", bun.List(ids)).Scan(ctx, &sets); err != nil {
		return fmt.Errorf("read account sets: %w", err)
	}
	lists := make(map[string]string, len(sets))
	for _, s := range sets {
		lists[string(s.SetID)] = s.AccountIDs
	}
	for i := range rows {
		if s := rows[i].AccountSet; s != nil {
			list, ok := lists[string(s)]
			if !ok {
				return fmt.Errorf("entry %d: account set %x is missing", rows[i].Seq, s)
			}
			rows[i].AccountIDs = list
		}
	}
	return nil
}

// scanByAccount reads the first limit entries of f, which names an
// account, in two halves, each in seq order from an index: the entries
// about the account alone, and the entries about a set of accounts that
// names it.
func (j *Journal) scanByAccount(ctx context.Context, f Filter, limit int, rows *[]entryRow) error {
	alone := filtered(j.db.NewSelect().Model((*entryRow)(nil)), f).OrderExpr("seq ASC").Limit(int64(limit))
	inSets := filtered(j.db.NewSelect().Model((*entryRow)(nil)), Filter{
		Action: f.Action, Outcome: f.Outcome, From: f.From, To: f.To, FromSeq: f.FromSeq,
	}).Where("account_set IN (SELECT set_id FROM journal_set_members WHERE account_id = ?)", f.AccountID).
		OrderExpr("seq ASC").Limit(int64(limit))
	if f.ActorID != "" {
		alone = alone.Where("actor_id = ?", f.ActorID)
		inSets = inSets.Where("actor_id = ?", f.ActorID)
	}
	err := j.db.NewRaw(`SELECT * FROM (?) AS alone UNION ALL SELECT * FROM (?) AS in_sets ORDER BY seq LIMIT ?`,
		alone, inSets, limit).Scan(ctx, rows)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}
