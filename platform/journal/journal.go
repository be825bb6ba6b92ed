// Package journal keeps Kabinet's tamper-evident action journal: every action
// (done, refused or denied) is an entry and a leaf of an RFC 6962 Merkle tree,
// in the style of Certificate Transparency and the Go checksum database.
// Every event of the event store is a leaf of the same tree too (an event
// leaf, see EventRef), so that Verify, given the store (Options.Events),
// recomputes every event and names the first bad position.
//
// The journal publishes signed checkpoints (C2SP tlog-checkpoint bodies signed
// as C2SP signed notes with Ed25519), inclusion proofs and consistency proofs
// built from stored tree nodes in O(log N) reads, so that anyone holding the
// verifier key can check them with golang.org/x/mod/sumdb/note,
// github.com/transparency-dev/formats/log and github.com/transparency-dev/merkle
// alone. Verify re-derives every leaf and the tree from the stored entries and
// names the first bad seq.
//
// # The leaf
//
// A leaf is the canonical encoding of an entry: one line of JSON, no spaces,
// fields in this order, strings escaped as encoding/json does without HTML
// escaping (\" \\ \b \f \n \r \t, other control characters as \u00XX, U+2028 and
// U+2029 as \u2028 and \u2029; Append replaces invalid UTF-8 by U+FFFD):
//
//	{"v":1,"seq":N,"at":"2006-01-02T15:04:05.000000Z","actor_id":…,"actor_role":…,
//	 "action":…,"account_id":…,"outcome":…,"reason":…,"correlation_id":…,
//	 "event_positions":[…],"ip_hash":"<hex>","user_agent_hash":"<hex>"}
//
// An entry about several accounts at once (Entry.AccountIDs) has a version 2
// leaf: "v":2, and after "account_id":"" the field "account_ids":[…], the ids
// sorted, each once, as JSON strings. Every other leaf is version 1.
//
// Personal fields (IP, user agent) enter the leaf only as SHA-256(salt‖value)
// with a random 16-byte salt stored beside the value ("" when the value is
// empty), so erasing value and salt leaves every leaf hash and proof valid.
// The leaf hash is RFC 6962's SHA-256(0x00‖leaf).
//
// # State and transactions
//
// The journal keeps no tree state in memory. The writer state (tree size, the
// compact range's hashes, the last checkpoint) is one row read and updated in
// the same transaction as the entries, their tree nodes and any checkpoint
// they trigger: a rolled-back transaction undoes all of it together, and a
// second writer is caught by the state row's size check.
package journal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// DefaultOrigin is the checkpoint origin line and key name of a journal whose
// key was created by LoadOrCreateKey.
const DefaultOrigin = "kabinet.local/journal"

// Outcome is what became of an action.
type Outcome string

const (
	// Done: the action was carried out (a command wrote its events, a read was served).
	Done Outcome = "done"
	// Refused: a domain rule refused the command (Reason is the domain code).
	Refused Outcome = "refused"
	// Denied: authentication or authorisation failed (Reason is "unauthorized",
	// "forbidden" or "not_found").
	Denied Outcome = "denied"
)

// Valid reports whether o is one of the three outcomes.
func (o Outcome) Valid() bool { return o == Done || o == Refused || o == Denied }

// Entry is one journaled action.
type Entry struct {
	Seq       uint64    // leaf index, from 0; assigned by Append
	At        time.Time // when; the journal's clock when zero; kept to the microsecond, UTC
	ActorID   string
	ActorRole string
	Action    string // e.g. "RegisterAccount", "GET cabinet"
	AccountID string // on whom; "" when none or several
	// AccountIDs are the people an action about several at once was about
	// (a staff read of a page naming them), with AccountID "": sorted and
	// each once when read back; a list of one is stored as AccountID.
	AccountIDs     []string
	Outcome        Outcome
	Reason         string // domain code, or "unauthorized"/"forbidden"/"not_found"
	CorrelationID  string
	EventPositions []uint64 // global positions of the events a done command wrote

	IP        string // personal: "" once erased
	UserAgent string // personal: "" once erased

	// Filled on read.
	IPHash        []byte // SHA-256(salt‖IP); nil when no IP was given
	UserAgentHash []byte // SHA-256(salt‖UserAgent); nil when none was given
	Erased        bool   // the personal fields were erased
	LeafHash      []byte // RFC 6962 leaf hash of the canonical leaf
}

// Options tune a journal. Zero values take the defaults.
type Options struct {
	// Origin is the checkpoint's origin line. It must equal the signing key's
	// name (the C2SP convention, which lets a witness know the origin from the
	// key alone); default: the key's name.
	Origin string
	// CheckpointEvery issues a checkpoint once this many entries accumulated
	// since the last one (default 100).
	CheckpointEvery uint64
	// CheckpointInterval issues a checkpoint, from Run, once this much time
	// passed since the last one and there are new entries (default 2s).
	CheckpointInterval time.Duration
	// VerifierKey is the published verifier key text (name+hash+base64),
	// served by PublicKey; optional, but checked against verifier when set.
	VerifierKey string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Events, optional, is the event store whose events the event leaves
	// stand for: Verify then recomputes every event's hash from it.
	Events EventSource
}

// Journal is the action journal over one SQL database. It is safe for
// concurrent use; writers are serialised by the database (see package doc).
type Journal struct {
	db          *sqldb.DB
	signer      note.Signer
	verifier    note.Verifier
	verifierKey string
	origin      string
	every       uint64
	interval    time.Duration
	now         func() time.Time
	events      EventSource
}

// Errors callers branch on.
var (
	// ErrNotFound: no such entry or checkpoint.
	ErrNotFound = errors.New("journal: not found")
	// ErrNoCheckpoint: no checkpoint has been issued yet.
	ErrNoCheckpoint = errors.New("journal: no checkpoint issued yet")
	// ErrBadRequest: an argument is out of range (a size beyond the tree, seq ≥ size…).
	ErrBadRequest = errors.New("journal: bad request")
	// ErrReadOnly: the journal was opened without its signing key.
	ErrReadOnly = errors.New("journal: opened read-only, without the signing key")
	// ErrConcurrentWriter: another writer appended to this journal meanwhile.
	ErrConcurrentWriter = errors.New("journal: concurrent writer changed the tree")
)

// Open opens the journal in db, creating its tables when missing. signer
// signs checkpoints; verifier must be its public half. A nil signer opens
// the journal read-only (an API instance, which serves checkpoints and
// proofs but never signs): issuing a checkpoint then fails with ErrReadOnly.
func Open(ctx context.Context, db *sqldb.DB, signer note.Signer, verifier note.Verifier, opts Options) (*Journal, error) {
	if db == nil || verifier == nil {
		return nil, errors.New("journal: open: db and verifier are required")
	}
	if signer != nil {
		if err := checkKeyPair(signer, verifier); err != nil {
			return nil, fmt.Errorf("journal: open: %w", err)
		}
	}
	if opts.VerifierKey != "" {
		v, err := note.NewVerifier(opts.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("journal: open: parse verifier key: %w", err)
		}
		if v.Name() != verifier.Name() || v.KeyHash() != verifier.KeyHash() {
			return nil, errors.New("journal: open: verifier key does not match the verifier")
		}
	}
	j := &Journal{
		db: db, signer: signer, verifier: verifier, verifierKey: opts.VerifierKey,
		origin: opts.Origin, every: opts.CheckpointEvery, interval: opts.CheckpointInterval, now: opts.Now,
		events: opts.Events,
	}
	if j.origin == "" {
		j.origin = verifier.Name()
	}
	if j.origin != verifier.Name() {
		return nil, fmt.Errorf("journal: open: origin %q must equal the key name %q", j.origin, verifier.Name())
	}
	if j.every == 0 {
		j.every = 100
	}
	if j.interval <= 0 {
		j.interval = 2 * time.Second
	}
	if j.now == nil {
		j.now = time.Now
	}
	if _, err := schema.Up(ctx, db, Migrations); err != nil {
		return nil, fmt.Errorf("journal: open: %w", err)
	}
	return j, nil
}

// Origin is the checkpoints' origin line.
func (j *Journal) Origin() string { return j.origin }

// Verifier is the note verifier of the journal's checkpoints.
func (j *Journal) Verifier() note.Verifier { return j.verifier }

// PublicKey is the published verifier key text ("" when Options.VerifierKey was not set).
func (j *Journal) PublicKey() string { return j.verifierKey }

// Size is the number of entries committed to the journal.
func (j *Journal) Size(ctx context.Context) (uint64, error) {
	st, err := readState(ctx, j.db, false)
	if err != nil {
		return 0, fmt.Errorf("journal: size: %w", err)
	}
	return st.size, nil
}

func checkKeyPair(s note.Signer, v note.Verifier) error {
	if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
		return errors.New("signer and verifier are not one key")
	}
	msg := []byte("kabinet journal key check\n")
	sig, err := s.Sign(msg)
	if err != nil {
		return fmt.Errorf("sign with key: %w", err)
	}
	if !v.Verify(msg, sig) {
		return errors.New("verifier rejects the signer's signature")
	}
	return nil
}
