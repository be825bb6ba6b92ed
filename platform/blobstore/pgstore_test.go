package blobstore_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/blobstore/blobstoretest"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

var pgKey = bytes.Repeat([]byte{0x42}, blobstore.KeySize)

func newPGStore(t *testing.T) (*blobstore.PGStore, *sqldb.DB) {
	t.Helper()
	return newPGStoreWith(t, blobstoretest.NewKeys())
}

func newPGStoreWith(t *testing.T, keys blobstore.OwnerKeys) (*blobstore.PGStore, *sqldb.DB) {
	t.Helper()
	db := sqltest.PG(t)
	s, err := blobstore.NewPGStore(context.Background(), db, pgKey, keys)
	require.NoError(t, err)
	return s, db
}

func TestPGStore_Contract(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T, keys blobstore.OwnerKeys) blobstore.Store {
		s, _ := newPGStoreWith(t, keys)
		return s
	})
}

func TestPGStore_InstancesShareScans(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	var stores []*blobstore.PGStore
	sharedKeys := blobstoretest.NewKeys() // the keyring is in the shared database too
	for range 2 {
		db, err := sqldb.Open(context.Background(), dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		s, err := blobstore.NewPGStore(context.Background(), db, pgKey, sharedKeys)
		require.NoError(t, err)
		stores = append(stores, s)
	}
	data := blobstoretest.PDF(200 << 10)
	blob, err := stores[0].Put(t.Context(), blobstoretest.Owner, bytes.NewReader(data), domain.MaxScanSize)
	require.NoError(t, err)
	got, err := readBlob(t, stores[1], blob.ID)
	require.NoError(t, err, "the other instance reads what the first stored")
	assert.Equal(t, data, got)
	require.NoError(t, stores[1].Delete(t.Context(), blob.ID))
	_, _, err = stores[0].Open(t.Context(), blob.ID)
	assert.ErrorIs(t, err, blobstore.ErrNotFound)
}

func TestPGStore_StoresNoPlaintext(t *testing.T) {
	s, db := newPGStore(t)
	data := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("PASSPORT 4509 123456 IVANOV "), 5000)...)
	blob, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(data), domain.MaxScanSize)
	require.NoError(t, err)
	var raw []byte
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT sealed FROM scans WHERE id = ?`, blob.ID).Scan(&raw))
	assert.False(t, bytes.Contains(raw, []byte("%PDF")))
	assert.False(t, bytes.Contains(raw, []byte("IVANOV")))
}

func TestPGStore_DetectsAnAlteredRow(t *testing.T) {
	for name, stmt := range map[string]string{
		"a flipped byte in the owner":       `UPDATE scans SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) WHERE id = ?`,
		"a flipped byte in the sealed scan": `UPDATE scans SET sealed = set_byte(sealed, 90, get_byte(sealed, 90) # 1) WHERE id = ?`,
		"truncated":                         `UPDATE scans SET sealed = substring(sealed from 1 for length(sealed) - 40) WHERE id = ?`,
		"bytes appended":                    `UPDATE scans SET sealed = sealed || '\x00000000'::bytea WHERE id = ?`,
	} {
		t.Run(name, func(t *testing.T) {
			s, db := newPGStore(t)
			blob, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.PDF(3*64<<10+100)), domain.MaxScanSize)
			require.NoError(t, err)
			_, err = db.ExecContext(t.Context(), stmt, blob.ID)
			require.NoError(t, err)
			_, err = readBlob(t, s, blob.ID)
			assert.ErrorIs(t, err, blobstore.ErrCorrupt)
		})
	}
}

func TestPGStore_ReadsScansOfTheChunkedLayout(t *testing.T) {
	s, _ := newPGStore(t)
	data := blobstoretest.JPEG(200 << 10)
	blob, err := blobstore.PutChunked(t.Context(), s, bytes.NewReader(data))
	require.NoError(t, err)
	got, err := readBlob(t, s, blob.ID)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

func TestPGStore_RefusesARowMovedToAnotherID(t *testing.T) {
	s, db := newPGStore(t)
	a, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.PDF(1000)), domain.MaxScanSize)
	require.NoError(t, err)
	b, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.PNG(1000)), domain.MaxScanSize)
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(), `UPDATE scans SET sealed = (SELECT sealed FROM scans WHERE id = ?) WHERE id = ?`, a.ID, b.ID)
	require.NoError(t, err)
	_, err = readBlob(t, s, b.ID)
	assert.ErrorIs(t, err, blobstore.ErrCorrupt)
}

func TestPGStore_WrongKeyCannotRead(t *testing.T) {
	s, db := newPGStore(t)
	blob, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader(blobstoretest.JPEG(1000)), domain.MaxScanSize)
	require.NoError(t, err)
	other, err := blobstore.NewPGStore(t.Context(), db, bytes.Repeat([]byte{7}, blobstore.KeySize), blobstoretest.NewKeys())
	require.NoError(t, err)
	_, err = readBlob(t, other, blob.ID)
	assert.ErrorIs(t, err, blobstore.ErrCorrupt)
}

func TestPGStore_FailedPutsLeaveNoRow(t *testing.T) {
	s, db := newPGStore(t)
	_, err := s.Put(t.Context(), blobstoretest.Owner, bytes.NewReader([]byte("not a scan at all")), domain.MaxScanSize)
	require.Error(t, err)
	_, err = s.Put(t.Context(), blobstoretest.Owner, blobstoretest.Endless([]byte("%PDF-1.7\n")), 1<<20)
	require.Error(t, err)
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT count(*) FROM scans`).Scan(&n))
	assert.Zero(t, n)
}

func TestNewPGStore_RefusesSQLite(t *testing.T) {
	_, err := blobstore.NewPGStore(t.Context(), sqltest.SQLite(t), pgKey, blobstoretest.NewKeys())
	assert.Error(t, err)
}
