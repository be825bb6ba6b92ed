package pii

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/sqldb"
)

// KeysTable is the table of wrapped data keys, in the system database (the
// event store's on SQL stores): durable, and shared by every instance on
// PostgreSQL.
const KeysTable = "pii_data_keys"

// keyRow is one account's data key: wrapped under a master key, or erased
// (Wrapped nil, ErasedAt set) — the row stays so that "erased" and "never
// had a key" (events written before encryption) stay apart.
type keyRow struct {
	bun.BaseModel `bun:"table:pii_data_keys"`

	AccountID string     `bun:"account_id,pk"`
	Wrapped   []byte     `bun:"wrapped"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ErasedAt  *time.Time `bun:"erased_at"`
}

// ErrErased: the account's data key was destroyed.
var ErrErased = errors.New("pii: the account's data key was erased")

// Keyring keeps the accounts' data keys, wrapped by a KMS, with the
// unwrapped ones cached in memory for at most KeyCacheTTL. It is safe for
// concurrent use. An erasure in another instance reaches this one's cache
// within KeyCacheTTL (or at Forget): then every stored byte of the account
// is unreadable here too. An erased key is remembered for good.
type Keyring struct {
	db  *sqldb.DB
	kms KMS
	now func() time.Time
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]cachedKey // account → its data key
	swept time.Time            // when keys past the TTL were last let go
}

// KeyCacheTTL is how long an unwrapped data key is used before the
// keyring reads its row again, so that another instance's erasure is
// noticed.
const KeyCacheTTL = time.Minute

// cachedKey is a cached data key (nil: erased) and when it was read.
type cachedKey struct {
	dk   *dataKey
	read time.Time
}

// dataKey is an unwrapped data key and its ready cipher.
type dataKey struct {
	key  []byte
	aead cipher.AEAD
}

// NewKeyring opens the keyring in db, creating its table when missing.
func NewKeyring(ctx context.Context, db *sqldb.DB, kms KMS) (*Keyring, error) {
	if db == nil || kms == nil {
		return nil, errors.New("pii: keyring needs a database and a KMS")
	}
	if _, err := db.NewCreateTable().Model((*keyRow)(nil)).IfNotExists().Exec(ctx); err != nil {
		return nil, fmt.Errorf("pii: create %s: %w", KeysTable, err)
	}
	return &Keyring{db: db, kms: kms, now: time.Now, ttl: KeyCacheTTL, cache: map[string]cachedKey{}}, nil
}

// WithClock makes the keyring read the time from now (tests).
func (k *Keyring) WithClock(now func() time.Time) *Keyring {
	k.now = now
	return k
}

// aad binds a wrapped key to its account, so a row copied to another
// account does not unwrap.
func aad(account string) []byte { return []byte("kabinet pii data key\x00" + account) }

// Key returns the account's data key, creating it when create is set and
// the account has none. ok is false when it has none (and create is not
// set); ErrErased when it was destroyed.
func (k *Keyring) Key(ctx context.Context, account string, create bool) (key []byte, ok bool, err error) {
	dk, ok, err := k.dataKey(ctx, account, create)
	if !ok {
		return nil, ok, err
	}
	return dk.key, true, nil
}

// Cipher is Key's AES-256-GCM cipher, for what else is sealed under the
// account's key (its document scans).
func (k *Keyring) Cipher(ctx context.Context, account string, create bool) (cipher.AEAD, bool, error) {
	return k.aead(ctx, account, create)
}

// aead is Key's cipher, built once per cached key.
func (k *Keyring) aead(ctx context.Context, account string, create bool) (cipher.AEAD, bool, error) {
	dk, ok, err := k.dataKey(ctx, account, create)
	if !ok {
		return nil, ok, err
	}
	return dk.aead, true, nil
}

func (k *Keyring) dataKey(ctx context.Context, account string, create bool) (*dataKey, bool, error) {
	k.mu.Lock()
	c, cached := k.cache[account]
	k.mu.Unlock()
	if cached && c.dk == nil {
		return nil, false, ErrErased
	}
	if cached && k.fresh(c, k.now()) {
		return c.dk, true, nil
	}
	dk, ok, err := k.load(ctx, account)
	if err != nil || ok || !create {
		return dk, ok, err
	}
	dk, err = k.create(ctx, account)
	if err != nil {
		return nil, false, err
	}
	if dk != nil {
		return dk, true, nil
	}
	return k.load(ctx, account) // another writer's key came first
}

// load reads and unwraps the account's key, caching what it found.
func (k *Keyring) load(ctx context.Context, account string) (*dataKey, bool, error) {
	var row keyRow
	err := k.db.NewSelect().Model(&row).Where("account_id = ?", account).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pii: read data key: %w", err)
	}
	if row.Wrapped == nil {
		k.remember(account, nil)
		return nil, false, ErrErased
	}
	key, err := k.kms.Unwrap(ctx, row.Wrapped, aad(account))
	if err != nil {
		return nil, false, fmt.Errorf("pii: data key of %s: %w", account, err)
	}
	dk, err := newDataKey(key)
	if err != nil {
		return nil, false, err
	}
	k.remember(account, dk)
	return dk, true, nil
}

// newDataKey is key with its cipher.
func newDataKey(key []byte) (*dataKey, error) {
	a, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &dataKey{key: key, aead: a}, nil
}

// create inserts a fresh key unless another writer got there first, and
// returns it (cached) when it was the one stored, else nil.
func (k *Keyring) create(ctx context.Context, account string) (*dataKey, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("pii: new data key: %w", err)
	}
	dk, err := newDataKey(key)
	if err != nil {
		return nil, err
	}
	wrapped, err := k.kms.Wrap(ctx, key, aad(account))
	if err != nil {
		return nil, fmt.Errorf("pii: wrap data key: %w", err)
	}
	row := keyRow{AccountID: account, Wrapped: wrapped, CreatedAt: k.now().UTC()}
	// Keys of accounts registered at the same moment share one durable
	// commit.
	stored := false
	err = k.db.RunGrouped(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(&row).On("CONFLICT (account_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		stored = err == nil && n == 1
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pii: store data key: %w", err)
	}
	if !stored {
		return nil, nil // not known to be ours: read what is stored
	}
	k.remember(account, dk)
	return dk, nil
}

const cacheLimit = 100_000

func (k *Keyring) remember(account string, key *dataKey) {
	read := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if read.Sub(k.swept) >= k.ttl {
		k.sweep(read)
	}
	if len(k.cache) >= cacheLimit {
		clear(k.cache)
	}
	k.cache[account] = cachedKey{dk: key, read: read}
}

// fresh reports whether a key read at c.read is still used at now, not
// read again.
func (k *Keyring) fresh(c cachedKey, now time.Time) bool { return now.Sub(c.read) < k.ttl }

// sweep lets go of the unwrapped keys read a TTL ago or more, which their
// next use would read again anyway: the cache holds the keys of about one
// TTL's worth of accounts, not of every account seen, and no key stays in
// memory long unused. Erased marks stay. Once a TTL at most; k.mu held.
func (k *Keyring) sweep(now time.Time) {
	for account, c := range k.cache {
		if c.dk != nil && !k.fresh(c, now) {
			delete(k.cache, account)
		}
	}
	k.swept = now
}

// Forget drops the account's key from this process's cache.
func (k *Keyring) Forget(account string) {
	k.mu.Lock()
	delete(k.cache, account)
	k.mu.Unlock()
}

// Destroy erases the account's data key for good: the wrapped bytes are
// overwritten (a row marks the account erased even if it never had a key),
// then shredded out of the database files. Destroying twice is harmless.
func (k *Keyring) Destroy(ctx context.Context, account string) error {
	now := k.now().UTC()
	_, err := k.db.ExecContext(ctx, `INSERT INTO `+KeysTable+` AS k (account_id, wrapped, created_at, erased_at)
		VALUES (?, NULL, ?, ?) ON CONFLICT (account_id) DO UPDATE
		SET wrapped = NULL, erased_at = COALESCE(k.erased_at, EXCLUDED.erased_at)`, account, now, now)
	if err != nil {
		return fmt.Errorf("pii: destroy data key: %w", err)
	}
	k.remember(account, nil)
	if err := k.db.Shred(ctx, KeysTable); err != nil {
		return fmt.Errorf("pii: destroy data key: %w", err)
	}
	return nil
}

// Erased reports whether the account's key was destroyed.
func (k *Keyring) Erased(ctx context.Context, account string) (bool, error) {
	_, _, err := k.Key(ctx, account, false)
	if errors.Is(err, ErrErased) {
		return true, nil
	}
	return false, err
}

// Rewrap wraps every data key not yet under kms's current master key with
// it, in batches (each row on its own, so an interrupted rotation resumes),
// and returns how many it re-wrapped. Events are not touched: they are
// encrypted with the data keys, which stay the same.
func (k *Keyring) Rewrap(ctx context.Context, kms KMS) (int, error) {
	n := 0
	after := ""
	for {
		var rows []keyRow
		err := k.db.NewSelect().Model(&rows).Where("account_id > ?", after).Where("wrapped IS NOT NULL").
			Order("account_id").Limit(500).Scan(ctx)
		if err != nil {
			return n, fmt.Errorf("pii: rewrap: %w", err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		for _, r := range rows {
			after = r.AccountID
			if WrappedBy(r.Wrapped) == kms.KeyID() {
				continue
			}
			key, err := kms.Unwrap(ctx, r.Wrapped, aad(r.AccountID))
			if err != nil {
				return n, fmt.Errorf("pii: rewrap %s: %w", r.AccountID, err)
			}
			wrapped, err := kms.Wrap(ctx, key, aad(r.AccountID))
			if err != nil {
				return n, fmt.Errorf("pii: rewrap %s: %w", r.AccountID, err)
			}
			if _, err := k.db.NewUpdate().Model((*keyRow)(nil)).Set("wrapped = ?", wrapped).
				Where("account_id = ?", r.AccountID).Where("wrapped IS NOT NULL").Exec(ctx); err != nil {
				return n, fmt.Errorf("pii: rewrap %s: %w", r.AccountID, err)
			}
			n++
		}
	}
}
