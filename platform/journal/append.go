package journal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/compact"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// Append journals entries in one transaction of its own and returns their
// seqs. Seq is assigned by the journal; At defaults to the journal's clock.
// A batch that reaches CheckpointEvery new entries also issues a checkpoint,
// in the same transaction.
func (j *Journal) Append(ctx context.Context, entries ...Entry) ([]uint64, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	var seqs []uint64
	err := j.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		seqs, err = j.appendTx(ctx, tx, entries)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("journal: append: %w", err)
	}
	return seqs, nil
}

// AppendTx journals entries inside the caller's transaction tx, so that they
// commit (or roll back) together with the caller's own writes, e.g. a journal
// writer's checkpoint in the event log. Everything the append changes — the
// entries, their tree nodes, the writer state row and any checkpoint — is
// written through tx, and the journal holds no tree state in memory: after a
// rollback the journal is exactly as before, and the next append reads the
// committed state again. On PostgreSQL the state row stays locked until tx
// ends, which serialises writers; on SQLite the transaction is exclusive.
func (j *Journal) AppendTx(ctx context.Context, tx bun.IDB, entries ...Entry) ([]uint64, error) {
	switch tx.(type) {
	case *bun.DB, *sqldb.DB, bun.Conn, *bun.Conn:
		return nil, errors.New("journal: append: AppendTx needs a transaction, not a database or connection")
	}
	if len(entries) == 0 {
		return nil, nil
	}
	seqs, err := j.appendTx(ctx, tx, entries)
	if err != nil {
		return nil, fmt.Errorf("journal: append: %w", err)
	}
	return seqs, nil
}

// Leaf is one leaf to append: an action entry or an event (exactly one of
// the two).
type Leaf struct {
	Entry *Entry
	Event *EventRef
}

// AppendLeavesTx appends action entries and event leaves, in the order
// given, inside the caller's transaction tx (as AppendTx does) and returns
// their seqs. Event leaves must continue the stored ones without a gap
// (ErrEventGap): position head+1, head+2… in order.
func (j *Journal) AppendLeavesTx(ctx context.Context, tx bun.IDB, leaves []Leaf) ([]uint64, error) {
	switch tx.(type) {
	case *bun.DB, *sqldb.DB, bun.Conn, *bun.Conn:
		return nil, errors.New("journal: append: AppendLeavesTx needs a transaction, not a database or connection")
	}
	if len(leaves) == 0 {
		return nil, nil
	}
	seqs, err := j.appendLeaves(ctx, tx, leaves)
	if err != nil {
		return nil, fmt.Errorf("journal: append: %w", err)
	}
	return seqs, nil
}

func (j *Journal) appendTx(ctx context.Context, tx bun.IDB, entries []Entry) ([]uint64, error) {
	leaves := make([]Leaf, len(entries))
	for i := range entries {
		leaves[i].Entry = &entries[i]
	}
	return j.appendLeaves(ctx, tx, leaves)
}

func (j *Journal) appendLeaves(ctx context.Context, tx bun.IDB, leaves []Leaf) ([]uint64, error) {
	for i := range leaves {
		if (leaves[i].Entry == nil) == (leaves[i].Event == nil) {
			return nil, fmt.Errorf("leaf %d: give an entry or an event", i)
		}
	}
	st, err := readState(ctx, tx, true)
	if err != nil {
		return nil, err
	}
	evRows, err := eventRows(ctx, tx, leaves)
	if err != nil {
		return nil, err
	}
	lh := newLeafHasher()
	r, err := (&compact.RangeFactory{Hash: lh.hashChildren}).NewRange(0, st.size, st.hashes)
	if err != nil {
		return nil, fmt.Errorf("restore compact range: %w", err)
	}
	now := j.now()
	rows := make([]entryRow, 0, len(leaves)-len(evRows))
	events := make([]*eventLeafRow, 0, len(evRows))
	nodes := make([]nodeRow, 0, 2*len(leaves)+8)
	visit := func(id compact.NodeID, h []byte) {
		nodes = append(nodes, nodeRow{Level: int16(id.Level), Idx: int64(id.Index), Hash: h})
	}
	s := newSealer(len(leaves))
	var buf []byte
	seqs := make([]uint64, len(leaves))
	for i := range leaves {
		seq := st.size + uint64(i)
		var leafHash []byte
		if ev := evRows[i]; ev != nil {
			ev.Seq = int64(seq)
			buf = appendEventLeaf(buf[:0], seq, uint64(ev.Position), ev.EventHash)
			ev.LeafHash = lh.sum(lh.arena.next(), buf)
			leafHash = ev.LeafHash
			events = append(events, ev)
		} else {
			rows = append(rows, entryRow{})
			row := &rows[len(rows)-1]
			if err := prepareRow(row, leaves[i].Entry, seq, now, s); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			f := row.leafFields()
			buf = appendLeaf(buf[:0], &f)
			row.LeafHash = lh.sum(lh.arena.next(), buf)
			leafHash = row.LeafHash
		}
		if err := r.Append(leafHash, visit); err != nil {
			return nil, fmt.Errorf("grow tree: %w", err)
		}
		seqs[i] = seq
	}
	if err := insertRows(ctx, tx, rows, nodes); err != nil {
		return nil, err
	}
	if err := insertEventLeaves(ctx, tx, events); err != nil {
		return nil, err
	}
	next := state{size: r.End(), hashes: r.Hashes(), cpSize: st.cpSize, cpAtUS: st.cpAtUS}
	if next.size-uint64(max(st.cpSize, 0)) >= j.every {
		if next, err = j.issue(ctx, tx, next, r); err != nil {
			return nil, err
		}
	}
	if err := writeState(ctx, tx, next, st.size); err != nil {
		return nil, err
	}
	return seqs, nil
}

// prepareRow validates e and fills row with its stored form at seq, its
// personal fields sealed by s.
func prepareRow(row *entryRow, e *Entry, seq uint64, now time.Time, s *sealer) error {
	if e.Action == "" {
		return errors.New("action is required")
	}
	if !e.Outcome.Valid() {
		return fmt.Errorf("outcome %q is not done, refused or denied", e.Outcome)
	}
	at := e.At
	if at.IsZero() {
		at = now
	}
	ip, err := s.seal(clean(e.IP))
	if err != nil {
		return err
	}
	ua, err := s.seal(cutUserAgent(clean(e.UserAgent)))
	if err != nil {
		return err
	}
	if err := CheckAccounts(e.AccountID, e.AccountIDs); err != nil {
		return err
	}
	account := clean(e.AccountID)
	list, set := accountList(e.AccountIDs)
	if list != "" && !strings.Contains(list, ",") {
		account, list, set = list, "", nil // a list of one is an entry about that account
	}
	*row = entryRow{
		Seq:            int64(seq),
		AtUS:           at.UnixMicro(),
		ActorID:        clean(e.ActorID),
		ActorRole:      clean(e.ActorRole),
		Action:         clean(e.Action),
		AccountID:      account,
		Outcome:        string(e.Outcome),
		Reason:         clean(e.Reason),
		CorrelationID:  clean(e.CorrelationID),
		EventPositions: formatPositions(e.EventPositions),
		IP:             ip.value, IPSalt: ip.salt, IPHash: ip.hash,
		UserAgent: ua.value, UASalt: ua.salt, UAHash: ua.hash,
		AccountIDs: list, AccountSet: set,
	}
	return nil
}

// clean makes s valid UTF-8, so the leaf's encoding of it is injective.
func clean(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// leafFields is what the row's leaf commits to.
func (r *entryRow) leafFields() leafFields[string] {
	return leafFields[string]{
		seq: uint64(r.Seq), atMicros: r.AtUS,
		actorID: r.ActorID, actorRole: r.ActorRole, action: r.Action, accountID: r.AccountID,
		accountIDs: r.AccountIDs, outcome: r.Outcome, reason: r.Reason, correlationID: r.CorrelationID,
		eventPositions: r.EventPositions, ipHash: r.IPHash, uaHash: r.UAHash,
	}
}

// maxUserAgent is the most bytes of a user agent an entry keeps.
const maxUserAgent = 256

// cutUserAgent cuts ua to maxUserAgent bytes at a UTF-8 character boundary.
func cutUserAgent(ua string) string {
	if len(ua) <= maxUserAgent {
		return ua
	}
	n := maxUserAgent
	for n > 0 && !utf8.RuneStart(ua[n]) {
		n--
	}
	return ua[:n]
}
