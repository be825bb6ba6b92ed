package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// DefaultLimit and MaxLimit bound a page of Entries.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Filter selects journal entries; zero fields do not filter.
type Filter struct {
	AccountID string
	ActorID   string
	Action    string
	Outcome   Outcome
	From      time.Time // At ≥ From
	To        time.Time // At < To
	FromSeq   uint64    // cursor: entries with Seq ≥ FromSeq
	Limit     int       // default DefaultLimit, at most MaxLimit
}

// Entries returns the entries f selects in seq order.
func (j *Journal) Entries(ctx context.Context, f Filter) ([]Entry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var rows []entryRow
	var err error
	switch {
	case f.AccountID != "":
		err = j.scanByAccount(ctx, f, limit, &rows)
	case f.ActorID != "":
		err = j.scanByActor(ctx, f, limit, &rows)
	default:
		err = filtered(j.db.NewSelect().Model(&rows), f).OrderExpr("seq ASC").Limit(int64(limit)).Scan(ctx)
	}
	if err == nil {
		err = fillAccounts(ctx, j.db, rows)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: entries: %w", err)
	}
	out := make([]Entry, len(rows))
	for i := range rows {
		e, err := rows[i].entry()
		if err != nil {
			return nil, fmt.Errorf("journal: entries: seq %d: %w", rows[i].Seq, err)
		}
		out[i] = e
	}
	return out, nil
}

// Entry returns the entry at seq; ErrNotFound when there is none.
func (j *Journal) Entry(ctx context.Context, seq uint64) (Entry, error) {
	rows := make([]entryRow, 1)
	row := &rows[0]
	err := j.db.NewSelect().Model(row).Where("seq = ?", int64(seq)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("journal: entry %d: %w", seq, ErrNotFound)
	}
	if err == nil {
		err = fillAccounts(ctx, j.db, rows)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("journal: entry %d: %w", seq, err)
	}
	e, err := row.entry()
	if err != nil {
		return Entry{}, fmt.Errorf("journal: entry %d: %w", seq, err)
	}
	return e, nil
}

// filtered adds to q every condition of f but its actor's.
func filtered(q *bun.SelectQuery, f Filter) *bun.SelectQuery {
	q = q.Where("seq >= ?", int64(f.FromSeq))
	if f.AccountID != "" {
		q = q.Where("account_id = ?", f.AccountID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Outcome != "" {
		q = q.Where("outcome = ?", string(f.Outcome))
	}
	if !f.From.IsZero() {
		q = q.Where("at_us >= ?", f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		q = q.Where("at_us < ?", f.To.UnixMicro())
	}
	return q
}

// scanByActor reads the first limit entries of f, which names an actor
// and no account, in two halves, each in seq order from an index: the
// entries where the actor acted on another account (or on none), from the
// actor index, which holds only those; and the entries where the actor is
// the account, as citizens are on their own, from the account index.
func (j *Journal) scanByActor(ctx context.Context, f Filter, limit int, rows *[]entryRow) error {
	other := filtered(j.db.NewSelect().Model((*entryRow)(nil)), f).
		Where("actor_id = ?", f.ActorID).Where("actor_id <> account_id").OrderExpr("seq ASC").Limit(int64(limit))
	own := filtered(j.db.NewSelect().Model((*entryRow)(nil)), f).
		Where("account_id = ?", f.ActorID).Where("actor_id = account_id").OrderExpr("seq ASC").Limit(int64(limit))
	return j.db.NewRaw(`SELECT * FROM (?) AS other UNION ALL SELECT * FROM (?) AS own ORDER BY seq LIMIT ?`,
		other, own, limit).Scan(ctx, rows)
}

func (r *entryRow) entry() (Entry, error) {
	ps, err := parsePositions(r.EventPositions)
	if err != nil {
		return Entry{}, err
	}
	return Entry{
		Seq:            uint64(r.Seq),
		At:             time.UnixMicro(r.AtUS).UTC(),
		ActorID:        r.ActorID,
		ActorRole:      r.ActorRole,
		Action:         r.Action,
		AccountID:      r.AccountID,
		AccountIDs:     parseAccountList(r.AccountIDs),
		Outcome:        Outcome(r.Outcome),
		Reason:         r.Reason,
		CorrelationID:  r.CorrelationID,
		EventPositions: ps,
		IP:             r.IP,
		UserAgent:      r.UserAgent,
		IPHash:         r.IPHash,
		UserAgentHash:  r.UAHash,
		Erased:         (r.IPHash != nil && r.IPSalt == nil) || (r.UAHash != nil && r.UASalt == nil),
		LeafHash:       r.LeafHash,
	}, nil
}

// Erase makes the personal fields (IP, user agent) of the entry at seq
// unreadable by deleting their values and salts. The salted hashes stay, so
// the entry's leaf, the tree and every proof stay valid.
func (j *Journal) Erase(ctx context.Context, seq uint64) error {
	res, err := j.db.ExecContext(ctx, eraseSQL+` WHERE seq = ?`, int64(seq))
	if err != nil {
		return fmt.Errorf("journal: erase %d: %w", seq, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("journal: erase %d: %w", seq, err)
	} else if n == 0 {
		return fmt.Errorf("journal: erase %d: %w", seq, ErrNotFound)
	}
	return nil
}

// EraseAccount erases the personal fields of every entry about accountID,
// alone or among others (see Erase), and returns how many entries it
// touched.
func (j *Journal) EraseAccount(ctx context.Context, accountID string) (int64, error) {
	if accountID == "" {
		return 0, fmt.Errorf("journal: erase account: %w: empty account id", ErrBadRequest)
	}
	res, err := j.db.ExecContext(ctx, eraseSQL+` WHERE account_id = ?
		OR account_set IN (SELECT set_id FROM journal_set_members WHERE account_id = ?)`, accountID, accountID)
	if err != nil {
		return 0, fmt.Errorf("journal: erase account %s: %w", accountID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("journal: erase account %s: %w", accountID, err)
	}
	return n, nil
}

const eraseSQL = `UPDATE journal_entries SET ip = NULL, ip_salt = NULL, user_agent = NULL, ua_salt = NULL`

// LeafHashAt returns the hash of the leaf at seq as db holds it (the
// journal's database, or a transaction on it that may not have committed
// yet), or ErrNotFound when db holds no leaf there.
func (j *Journal) LeafHashAt(ctx context.Context, db bun.IDB, seq uint64) ([]byte, error) {
	var h []byte
	err := db.QueryRowContext(ctx, `SELECT leaf_hash FROM `+allLeaves+` l WHERE seq = ?`, int64(seq)).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("journal: leaf %d: %w", seq, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: leaf %d: %w", seq, err)
	}
	return h, nil
}
