package pii

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// The cache holds the keys of about one TTL's worth of accounts: a key
// read a TTL ago is let go when the next one is remembered, however many
// accounts came before, while an erasure stays remembered.
func TestKeyring_LetsGoOfKeysPastTheTTL(t *testing.T) {
	ctx := context.Background()
	kms, err := NewLocalKMS(bytes.Repeat([]byte{0x42}, 32))
	require.NoError(t, err)
	k, err := NewKeyring(ctx, sqltest.SQLite(t), kms)
	require.NoError(t, err)
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	k.WithClock(func() time.Time { return at })
	cached := func() int {
		k.mu.Lock()
		defer k.mu.Unlock()
		return len(k.cache)
	}

	erased := uuid.NewString()
	_, _, err = k.Key(ctx, erased, true)
	require.NoError(t, err)
	require.NoError(t, k.Destroy(ctx, erased))
	_, _, err = k.Key(ctx, erased, false)
	require.ErrorIs(t, err, ErrErased)
	for range 50 {
		_, _, err := k.Key(ctx, uuid.NewString(), true)
		require.NoError(t, err)
	}
	require.Equal(t, 51, cached(), "the keys and the erasure, within the TTL")

	at = at.Add(KeyCacheTTL)
	fresh := uuid.NewString()
	_, _, err = k.Key(ctx, fresh, true)
	require.NoError(t, err)
	assert.Equal(t, 2, cached(), "the fresh key and the erasure; the 50 keys past the TTL are gone")
	k.mu.Lock()
	assert.Nil(t, k.cache[erased].dk)
	assert.NotNil(t, k.cache[fresh].dk)
	k.mu.Unlock()
	_, _, err = k.Key(ctx, erased, false)
	assert.ErrorIs(t, err, ErrErased)
}
