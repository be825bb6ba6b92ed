package scheduler

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestLease_SQLiteIsInProcess(t *testing.T) {
	_, ok := NewLease(sqltest.SQLite(t), "x").(*LocalLease)
	assert.True(t, ok)
}

func TestPGLease_OneHolderAcrossConnectionsUntilReleased(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	ctx := context.Background()
	open := func() *sqldb.DB {
		db, err := sqldb.Open(ctx, dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		return db
	}
	// Two pools stand for two instances.
	a, b := NewLease(open(), "document_expiry"), NewLease(open(), "document_expiry")
	require.IsType(t, &PGLease{}, a)

	release, ok, err := a.TryAcquire(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = b.TryAcquire(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "the other instance must skip the pass")
	_, ok, err = a.TryAcquire(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "not even the same pool gets it twice: the lock lives on one connection")

	release()
	releaseB, ok, err := b.TryAcquire(ctx)
	require.NoError(t, err)
	assert.True(t, ok, "released: the other instance gets it")
	releaseB()

	other, _, _ := NewLease(open(), "another_job").TryAcquire(ctx)
	require.NotNil(t, other, "another name is another lock")
	other()
}
