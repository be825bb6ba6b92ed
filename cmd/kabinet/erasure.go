package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/pii"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/poison"
)

// masterKeys says where this configuration's master keys come from:
// KABINET_MASTER_KEY (and KABINET_MASTER_KEY_PREVIOUS during a rotation),
// else the data dir's master.key.
func masterKeys(c Config) pii.MasterKeys {
	return pii.MasterKeys{Env: os.Getenv("KABINET_MASTER_KEY"), EnvPrevious: os.Getenv("KABINET_MASTER_KEY_PREVIOUS"), DataDir: c.DataDir}
}

// openKeysDB opens where the data keys live: with PostgreSQL events, the
// same database (shared by every instance); with KurrentDB, the system
// database openStores gave (sys); with SQLite, a durable keys.db beside the
// events file, so that creating an account's key does not queue behind the
// event store's writer. close releases what it opened.
func openKeysDB(ctx context.Context, c Config, sys *sqldb.DB) (db *sqldb.DB, close func() error, err error) {
	if _, ok := kurrentConnString(c.EventStore); ok || sys.IsPostgres() {
		return sys, func() error { return nil }, nil
	}
	path := filepath.Join(filepath.Dir(strings.TrimPrefix(c.EventStore, "sqlite:")), "keys.db")
	if db, err = sqldb.OpenSQLite(ctx, path, true); err != nil {
		return nil, nil, fmt.Errorf("open data keys: %w", err)
	}
	return db, db.Close, nil
}

// openKeyring opens the keyring of data keys over kms in its database.
func openKeyring(ctx context.Context, c Config, sys *sqldb.DB, kms pii.KMS) (*pii.Keyring, *sqldb.DB, func() error, error) {
	db, closeDB, err := openKeysDB(ctx, c, sys)
	if err != nil {
		return nil, nil, nil, err
	}
	keys, err := pii.NewKeyring(ctx, db, kms)
	if err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	return keys, db, closeDB, nil
}

// openCodec opens the personal-data codec: the keyring (openKeysDB),
// wrapped by the local KMS.
func openCodec(ctx context.Context, c Config, sys *sqldb.DB) (*pii.Codec, *sqldb.DB, func() error, error) {
	kms, err := masterKeys(c).Open()
	if err != nil {
		return nil, nil, nil, err
	}
	keys, db, closeDB, err := openKeyring(ctx, c, sys, kms)
	if err != nil {
		return nil, nil, nil, err
	}
	return pii.NewCodec(keys), db, closeDB, nil
}

// revealMetadata gives the journal writer an event's metadata in clear;
// what cannot be opened (an erased account's) is passed as stored.
func revealMetadata(codec *pii.Codec) func(eventstore.RecordedEvent) []byte {
	return func(rec eventstore.RecordedEvent) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		opened, _, _, err := codec.Reveal(ctx, rec)
		if err != nil {
			return rec.Metadata
		}
		return opened.Metadata
	}
}

// shredder carries an erasure out across the data dir and the stores
// (commands.Shredder).
type shredder struct {
	codec   *pii.Codec
	store   eventstore.Store // the opened view, to find the account's scans
	blobs   blobstore.Store
	outbox  *delivery.OutboxFile
	journal *journal.Journal
	writer  *journaling.Writer
	runner  *projections.Runner
	poison  *poison.Queue
	targets []shredTarget // events, read models, journal: shredded at the end
	wait    time.Duration
}

// shredTarget is a database to shred after an erasure, and the tables
// PostgreSQL vacuums there (SQLite checkpoints the whole file).
type shredTarget struct {
	db     *sqldb.DB
	tables []string
}

var _ commands.Shredder = (*shredder)(nil)

// Shred destroys the account's data key, deletes its scans and outbox
// lines, waits until the journal writer and every projection have passed
// PersonalDataErased (so the journal holds every entry about the account
// and the read models purged it), erases the journal's IP and user agent
// of the account's entries, deletes its poisoned messages (copies of its
// events as the projectors saw them), and finally shreds the databases'
// files. Each step is idempotent.
func (s *shredder) Shred(ctx context.Context, account uuid.UUID, position uint64) error {
	id := account.String()
	if err := s.codec.Keys().Destroy(ctx, id); err != nil {
		return err
	}
	if err := s.deleteScans(ctx, account); err != nil {
		return err
	}
	if err := s.outbox.Purge(id); err != nil {
		return err
	}
	if err := s.waitJournal(ctx, position); err != nil {
		return err
	}
	if _, err := s.journal.EraseAccount(ctx, id); err != nil {
		return err
	}
	for _, p := range s.runner.Projectors {
		if _, err := s.runner.Tracker.Wait(ctx, p.Name(), position, s.wait); err != nil {
			return fmt.Errorf("erasure of %s: %w", id, err)
		}
	}
	if _, err := s.poison.Forget(ctx, id); err != nil {
		return err
	}
	for _, t := range s.targets {
		if err := t.db.Shred(ctx, t.tables...); err != nil {
			return fmt.Errorf("erasure of %s: %w", id, err)
		}
	}
	return nil
}

// deleteScans deletes every scan the account's DocumentAdded events name.
func (s *shredder) deleteScans(ctx context.Context, account uuid.UUID) error {
	for from := int64(0); ; {
		recs, err := s.store.ReadStream(ctx, commands.StreamName(account), eventstore.Forward, from, 500)
		if err != nil {
			return fmt.Errorf("erasure: read scans of %s: %w", account, err)
		}
		for _, rec := range recs {
			if rec.Type != "DocumentAdded" {
				continue
			}
			e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
			if err != nil {
				return fmt.Errorf("erasure: %w", err)
			}
			d := e.(domain.DocumentAdded)
			refs := d.Scans
			if d.Translation != nil {
				refs = append(refs, *d.Translation)
			}
			for _, ref := range refs {
				if err := s.blobs.Delete(ctx, ref.BlobID); err != nil {
					return fmt.Errorf("erasure: %w", err)
				}
			}
		}
		if len(recs) < 500 {
			return nil
		}
		from = recs[len(recs)-1].Version + 1
	}
}

// waitJournal waits until the journal writer has journaled position.
func (s *shredder) waitJournal(ctx context.Context, position uint64) error {
	deadline := time.Now().Add(s.wait)
	for {
		st, err := s.writer.Status(ctx)
		if err != nil {
			return err
		}
		if st.Cursor >= position {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("erasure: the journal writer is at %d, not yet at %d", st.Cursor, position)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// parseRetention reads KABINET_RETENTION: a Go duration, or a whole number
// of days ("1095d") or years of 365 days ("3y").
func parseRetention(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "y": 365 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("retention %q: want a positive number before %q", s, suffix)
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("retention %q: want a positive duration, days (1095d) or years (3y)", s)
	}
	return d, nil
}

// shredTargets lists the databases an erasure shreds, each once, with the
// tables PostgreSQL vacuums in it.
func shredTargets(keysDB, events, read, journalDB *sqldb.DB) []shredTarget {
	var ts []shredTarget
	add := func(db *sqldb.DB, tables ...string) {
		for i := range ts {
			if ts[i].db == db {
				ts[i].tables = append(ts[i].tables, tables...)
				return
			}
		}
		ts = append(ts, shredTarget{db: db, tables: tables})
	}
	add(keysDB, pii.KeysTable)
	add(events)
	add(read, "cabinet_views", "application_views", "operator_queue", "operator_queue_accounts",
		"notifications", "notification_accounts", "poison_messages")
	add(journalDB, "journal_entries")
	return ts
}
