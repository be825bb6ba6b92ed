package blobstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// Migrations are PGStore's table, oldest first.
var Migrations = schema.Component{Name: "scans", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS scans (
		id         UUID        PRIMARY KEY,
		sealed     BYTEA       NOT NULL,
		created_at TIMESTAMPTZ NOT NULL DEFAULT now())`)},
}}

// PGStore is the Store of several instances: each scan is one row of the
// scans table in PostgreSQL, sealed exactly as FileStore seals a file
// (scanCipher, with the same key), so the database holds only ciphertext
// and a row altered or moved to another id fails to authenticate. A scan
// is held in memory whole while it is stored or read (scans are at most
// a few MiB).
type PGStore struct {
	db     *sqldb.DB
	cipher scanCipher
}

var _ Store = (*PGStore)(nil)

// NewPGStore applies the scans table's migrations and returns the store,
// sealing with a 32-byte key (see LoadOrCreateKey; every instance must
// share it).
func NewPGStore(ctx context.Context, db *sqldb.DB, key []byte, keys OwnerKeys) (*PGStore, error) {
	if !db.IsPostgres() {
		return nil, errors.New("blobstore: PGStore needs PostgreSQL")
	}
	c, err := newScanCipher(key, keys)
	if err != nil {
		return nil, err
	}
	if _, err := schema.Up(ctx, db, Migrations); err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &PGStore{db: db, cipher: c}, nil
}

// Put implements Store. The upload is sealed into memory, then inserted in
// one statement: a failed Put leaves no row.
func (s *PGStore) Put(ctx context.Context, owner string, r io.Reader, maxSize int64) (Blob, error) {
	u, err := newUpload(r, maxSize)
	if err != nil {
		return Blob{}, err
	}
	sealed, blob, err := s.cipher.sealOwned(ctx, owner, u)
	if err != nil {
		return Blob{}, err
	}
	return blob, s.insert(ctx, blob.ID, sealed)
}

func (s *PGStore) insert(ctx context.Context, id string, sealed []byte) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO scans (id, sealed) VALUES (?, ?)`, id, sealed); err != nil {
		return fmt.Errorf("blobstore: store upload: %w", err)
	}
	return nil
}

// Open implements Store.
func (s *PGStore) Open(ctx context.Context, id string) (io.ReadCloser, Blob, error) {
	if !canonical(id) {
		return nil, Blob{}, ErrNotFound
	}
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT sealed FROM scans WHERE id = ?`, id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Blob{}, ErrNotFound
	}
	if err != nil {
		return nil, Blob{}, fmt.Errorf("blobstore: open: %w", err)
	}
	blob, r, err := s.cipher.open(ctx, io.NopCloser(bytes.NewReader(sealed)), id)
	if err != nil {
		return nil, Blob{}, err
	}
	return r, blob, nil
}

// Delete implements Store.
func (s *PGStore) Delete(ctx context.Context, id string) error {
	if !canonical(id) {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM scans WHERE id = ?`, id); err != nil {
		return fmt.Errorf("blobstore: delete: %w", err)
	}
	return nil
}

// canonical accepts only ids in the form Put gives them.
func canonical(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}
