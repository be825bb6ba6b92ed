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
func NewPGStore(ctx context.Context, db *sqldb.DB, key []byte) (*PGStore, error) {
	if !db.IsPostgres() {
		return nil, errors.New("blobstore: PGStore needs PostgreSQL")
	}
	c, err := newScanCipher(key)
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
func (s *PGStore) Put(ctx context.Context, r io.Reader, maxSize int64) (Blob, error) {
	u, err := newUpload(r, maxSize)
	if err != nil {
		return Blob{}, err
	}
	var buf memFile
	blob, err := s.cipher.sealUpload(ctx, &buf, u)
	if err != nil {
		return Blob{}, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO scans (id, sealed) VALUES (?, ?)`, blob.ID, buf.b); err != nil {
		return Blob{}, fmt.Errorf("blobstore: store upload: %w", err)
	}
	return blob, nil
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
	blob, r, err := s.cipher.open(io.NopCloser(bytes.NewReader(sealed)), id)
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

// memFile is a sealTarget in memory.
type memFile struct{ b []byte }

// Write implements io.Writer.
func (m *memFile) Write(p []byte) (int, error) {
	m.b = append(m.b, p...)
	return len(p), nil
}

// WriteAt implements io.WriterAt within what was written.
func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, fmt.Errorf("blobstore: write at %d beyond %d bytes", off, len(m.b))
	}
	return copy(m.b[off:], p), nil
}
