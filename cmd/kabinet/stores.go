package main

import (
	"context"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/pii"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// openStores opens the event store, the system database (the journal and
// the write side's own tables; durable) and the read-model database. With
// the SQL event stores the system database is the events' own; with
// KurrentDB it is the read store, opened durable.
func openStores(ctx context.Context, c Config) (*sqldb.DB, *sqldb.DB, eventstore.Store, error) {
	if conn, ok := kurrentConnString(c.EventStore); ok {
		sys, err := openRead(ctx, c.ReadStore, true)
		if err != nil {
			return nil, nil, nil, err
		}
		// The position index outlives restarts in the data dir, so a start
		// reads only the part of $all written since the last one.
		store, err := kurrent.New(ctx, conn, kurrent.Options{IndexPath: filepath.Join(c.DataDir, "kurrent-positions.db")})
		if err != nil {
			sys.Close()
			return nil, nil, nil, fmt.Errorf("kurrentdb: %w", err)
		}
		return sys, sys, store, nil
	}
	events, err := sqldb.Open(ctx, c.EventStore)
	if err != nil {
		return nil, nil, nil, err
	}
	read := events
	if c.ReadStore != c.EventStore {
		// Read models are rebuildable, but the read store also holds what
		// is not: passwords, sessions, idempotency records, code counts,
		// dead letters. Its commits are durable as the events' are.
		if read, err = openRead(ctx, c.ReadStore, true); err != nil {
			events.Close()
			return nil, nil, nil, err
		}
	}
	store, err := sqlstore.New(ctx, events, sqlstore.Options{})
	if err != nil {
		events.Close()
		read.Close()
		return nil, nil, nil, err
	}
	return events, read, store, nil
}

// openRebuildable opens the handle the projection runner commits the read
// models through: on SQLite a second pool on the read store's file at
// synchronous=NORMAL (owned true: the caller closes it), on PostgreSQL
// the read store itself. A NORMAL commit is not flushed on its own, so
// the last of them may be lost to a power loss; a read model and its
// checkpoint commit together, so what is lost is re-projected from the
// events after a restart. Nothing else is lost with them: the write-ahead
// log is one file recovered as a prefix, and every durable commit on the
// file (sessions, idempotency records, dead letters…, still FULL) flushes
// all that precedes it. Each projection commit would otherwise wait for
// its own fsync, which set the pace of the whole read side.
func openRebuildable(ctx context.Context, read *sqldb.DB) (*sqldb.DB, bool, error) {
	if read.IsPostgres() {
		return read, false, nil
	}
	db, err := sqldb.OpenSQLite(ctx, read.DSN, false)
	if err != nil {
		return nil, false, fmt.Errorf("open read models: %w", err)
	}
	return db, true, nil
}

// openRead opens a read store DSN: PostgreSQL, or a SQLite file.
func openRead(ctx context.Context, dsn string, durable bool) (*sqldb.DB, error) {
	if strings.HasPrefix(dsn, "postgres") {
		return sqldb.Open(ctx, dsn)
	}
	return sqldb.OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), durable)
}

// kurrentConnString turns KABINET_EVENTSTORE=kurrentdb://… (or esdb://…)
// into the client's connection string.
func kurrentConnString(dsn string) (string, bool) {
	for _, p := range []string{"kurrentdb+discover://", "kurrentdb://"} {
		if rest, ok := strings.CutPrefix(dsn, p); ok {
			return strings.Replace(p, "kurrentdb", "esdb", 1) + rest, true
		}
	}
	if strings.HasPrefix(dsn, "esdb://") || strings.HasPrefix(dsn, "esdb+discover://") {
		return dsn, true
	}
	return "", false
}

// openJournalDB opens where the journal lives: with PostgreSQL events, the
// same database (owned false: events is returned); with KurrentDB, the
// system database openStores gave (also events); with SQLite, its own
// durable file beside the events file — SQLite has one writer per file, and
// the journal writer should not queue behind the appends.
func openJournalDB(ctx context.Context, c Config, events *sqldb.DB) (*sqldb.DB, bool, error) {
	if _, ok := kurrentConnString(c.EventStore); ok || events.IsPostgres() {
		return events, false, nil
	}
	path := filepath.Join(filepath.Dir(strings.TrimPrefix(c.EventStore, "sqlite:")), "journal.db")
	db, err := sqldb.OpenSQLite(ctx, path, true)
	if err != nil {
		return nil, false, fmt.Errorf("open journal: %w", err)
	}
	return db, true, nil
}

// errJournalKeyRequired: outside embedded mode the journal's signing key
// never comes from the data dir, where whoever can write the data could
// read it too.
var errJournalKeyRequired = errors.New("outside embedded mode (KABINET_ENV=production, or an event store other than " +
	"the embedded SQLite) the journal signing key must come from KABINET_JOURNAL_KEY (kabinet journal keygen); " +
	"refusing the data dir's key")

// openJournal opens the action journal in db, signed with
// KABINET_JOURNAL_KEY or the data dir's key (an API instance given only
// KABINET_JOURNAL_VERIFIER_KEY opens it read-only); its event leaves stand
// for the events of events, which verify recomputes.
func openJournal(ctx context.Context, c Config, db *sqldb.DB, events journal.EventSource) (*journal.Journal, error) {
	var (
		signer   note.Signer
		verifier note.Verifier
		vkey     string
		err      error
	)
	if c.JournalKey == "" && c.Role == "api" && c.JournalVerifierKey != "" {
		// An API instance serves checkpoints and proofs but never signs:
		// it needs the verifier key only (the signing key is the worker's).
		if verifier, err = note.NewVerifier(c.JournalVerifierKey); err != nil {
			return nil, fmt.Errorf("KABINET_JOURNAL_VERIFIER_KEY: %w", err)
		}
		return journal.Open(ctx, db, nil, verifier, journal.Options{
			CheckpointEvery: c.CheckpointEvery, CheckpointInterval: c.CheckpointInterval, VerifierKey: c.JournalVerifierKey,
			Events: events,
		})
	}
	switch {
	case c.JournalKey != "":
		signer, verifier, vkey, err = journal.ParseKey(c.JournalKey)
	case !c.Embedded():
		return nil, errJournalKeyRequired
	default:
		signer, verifier, vkey, err = journal.LoadOrCreateKey(c.DataDir)
	}
	if err != nil {
		return nil, err
	}
	return journal.Open(ctx, db, signer, verifier, journal.Options{
		CheckpointEvery: c.CheckpointEvery, CheckpointInterval: c.CheckpointInterval, VerifierKey: vkey,
		Events: events,
	})
}

// openScans opens the scan store KABINET_SCAN_STORE names, sealing each
// scan under its account's data key; scans of the earlier layout stay
// readable with KABINET_BLOB_KEY (64 hex digits, shared by the instances)
// or the data dir's blob.key.
func openScans(ctx context.Context, c Config, read *sqldb.DB, keys *pii.Keyring) (blobstore.Store, error) {
	key, err := blobKey(c)
	if err != nil {
		return nil, err
	}
	if c.ScanStore == "postgres" {
		return blobstore.NewPGStore(ctx, read, key, scanKeys{keys})
	}
	return blobstore.NewFileStore(c.DataDir, key, scanKeys{keys})
}

// scanKeys gives the scan stores the accounts' data keys.
type scanKeys struct{ keys *pii.Keyring }

func (s scanKeys) OwnerCipher(ctx context.Context, owner string, create bool) (cipher.AEAD, error) {
	a, ok, err := s.keys.Cipher(ctx, owner, create)
	switch {
	case errors.Is(err, pii.ErrErased):
		return nil, fmt.Errorf("%w: %w", blobstore.ErrErased, err)
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%s: %w", owner, blobstore.ErrNoKey)
	}
	return a, nil
}

func blobKey(c Config) ([]byte, error) {
	v := os.Getenv("KABINET_BLOB_KEY")
	if v == "" {
		return blobstore.LoadOrCreateKey(c.DataDir)
	}
	key, err := hex.DecodeString(strings.TrimSpace(v))
	if err != nil || len(key) != blobstore.KeySize {
		return nil, fmt.Errorf("KABINET_BLOB_KEY must be %d hex digits", 2*blobstore.KeySize)
	}
	return key, nil
}
