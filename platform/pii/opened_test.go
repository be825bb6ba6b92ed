package pii_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/pii"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// An event opened once is shared with its next readers, but never past the
// key that opened it: the erasing instance reads it erased at once, another
// instance once its cached key expires, as it would without sharing.
func TestCodec_AnEventOpenedOnceIsNotServedPastItsKeysErasure(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	inner, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { inner.Close() })
	erasingCodec := pii.NewCodec(keyring(t, db, master).WithClock(clock))
	otherCodec := pii.NewCodec(keyring(t, db, master).WithClock(clock))
	erasing, other := pii.NewStore(inner, erasingCodec), pii.NewStore(inner, otherCodec)
	id := uuid.Must(uuid.NewV7())
	_, err = erasing.Append(ctx, "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{registered(t, id)})
	require.NoError(t, err)

	surname := func(s *pii.Store) string {
		t.Helper()
		recs, err := s.ReadAll(ctx, 0, 10)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		e, err := domain.DecodeEvent(recs[0].Type, recs[0].SchemaVersion, recs[0].Data)
		require.NoError(t, err)
		return e.(domain.AccountRegistered).Surname
	}
	for range 2 { // the second read of each is answered by the first's opening
		require.Equal(t, "Каримова", surname(erasing))
		require.Equal(t, "Каримова", surname(other))
	}

	require.NoError(t, erasingCodec.Keys().Destroy(ctx, id.String()))
	assert.Empty(t, surname(erasing), "the erasing instance reads the event erased at once")
	at = at.Add(pii.KeyCacheTTL - time.Second)
	assert.Equal(t, "Каримова", surname(other), "within its key's TTL the other instance still reads it, as its key cache allows")
	at = at.Add(2 * time.Second)
	assert.Empty(t, surname(other), "past the TTL the other instance reads it erased too")

	_, erased, erasedMeta, err := otherCodec.Reveal(ctx, mustReadAll(t, inner)[0])
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"surname", "given_names", "phone", "email"}, erased)
	assert.ElementsMatch(t, []string{"source_ip", "user_agent"}, erasedMeta)
}

// What a shared opening answers is only ever the same stored bytes: another
// record under the same event id and position opens as itself.
func TestCodec_ASharedOpeningAnswersOnlyTheSameStoredBytes(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	s, codec := sealedStore(t, db)
	id := uuid.Must(uuid.NewV7())
	first := registered(t, id)
	second := registered(t, id)
	second.Metadata = []byte(`{"actor_id":"b","source_ip":"198.51.100.9"}`)
	_, err := s.Append(ctx, "account-"+id.String(), eventstore.NoStream, []eventstore.EventData{first, second})
	require.NoError(t, err)
	stored := mustReadAll(t, s.Inner())
	require.Len(t, stored, 2)

	a, _, _, err := codec.Reveal(ctx, stored[0])
	require.NoError(t, err)
	require.Contains(t, string(a.Metadata), "203.0.113.77")

	posing := stored[1]
	posing.ID, posing.Position, posing.Version = stored[0].ID, stored[0].Position, stored[0].Version
	b, _, _, err := codec.Reveal(ctx, posing)
	require.NoError(t, err)
	assert.Contains(t, string(b.Metadata), "198.51.100.9", "opened from its own bytes")
	assert.NotContains(t, string(b.Metadata), "203.0.113.77")

	again, _, _, err := codec.Reveal(ctx, stored[0])
	require.NoError(t, err)
	assert.Equal(t, a, again)

	later := stored[0]
	later.RecordedAt = later.RecordedAt.Add(time.Hour)
	shared, _, _, err := codec.Reveal(ctx, later)
	require.NoError(t, err)
	assert.Equal(t, later.RecordedAt, shared.RecordedAt, "a shared opening gives its bytes, the record stays the caller's")
	assert.Equal(t, a.Metadata, shared.Metadata)
}

func mustReadAll(t *testing.T, s eventstore.Store) []eventstore.RecordedEvent {
	t.Helper()
	recs, err := s.ReadAll(context.Background(), 0, 100)
	require.NoError(t, err)
	return recs
}
