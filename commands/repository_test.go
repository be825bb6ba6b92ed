package commands

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
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// countingStore counts the events its stream reads return.
type countingStore struct {
	eventstore.Store
	read int
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from int64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, err := s.Store.ReadStream(ctx, stream, dir, from, limit)
	s.read += len(recs)
	return recs, err
}

func repoFixture(t *testing.T) (eventstore.Store, uuid.UUID) {
	t.Helper()
	store, err := sqlstore.New(context.Background(), sqltest.SQLite(t), sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	id := uuid.New()
	a, err := domain.Register(id, domain.Registration{Consent: domain.CurrentConsent(), Surname: "Иванов",
		GivenNames: "Пётр", Citizenship: "UZ", Phone: "+79120000001"}, time.Now())
	require.NoError(t, err)
	_, err = NewRepository(store, uuid.New).Create(context.Background(), a, Metadata{ActorID: id.String(), ActorRole: "citizen"})
	require.NoError(t, err)
	return store, id
}

func setFrequency(f string) func(a *domain.ForeignerAccount) error {
	return func(a *domain.ForeignerAccount) error {
		p := a.NotificationPreferences()
		p.Frequency = f
		return a.SetNotificationPreferences(p, time.Now())
	}
}

// A command reads only the events after those this process holds of the
// stream, yet decides on all of them: another instance's events included.
func TestRepository_ACommandReadsOnlyTheEventsAfterThoseItHoldsAndSeesAnotherInstances(t *testing.T) {
	ctx := context.Background()
	store, id := repoFixture(t)
	counting := &countingStore{Store: store}
	here, there := NewRepository(counting, uuid.New), NewRepository(store, uuid.New)
	md := Metadata{ActorID: id.String(), ActorRole: "citizen"}

	_, err := here.Update(ctx, id, md, setFrequency(domain.FrequencyDaily))
	require.NoError(t, err)
	require.Equal(t, 2, counting.read, "the first command reads the whole stream")

	counting.read = 0
	_, err = there.Update(ctx, id, md, setFrequency(domain.FrequencyWeekly))
	require.NoError(t, err)
	var seen string
	_, err = here.Update(ctx, id, md, func(a *domain.ForeignerAccount) error {
		seen = a.NotificationPreferences().Frequency
		return a.SetNotificationPreferences(a.NotificationPreferences(), time.Now())
	})
	require.NoError(t, err)
	assert.Equal(t, domain.FrequencyWeekly, seen, "the other instance's event is part of the decision")
	assert.Equal(t, 1, counting.read, "only the event after those held was read")

	a, err := NewRepository(store, uuid.New).Load(ctx, id)
	require.NoError(t, err)
	b, err := here.Load(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, a.Version(), b.Version())
	assert.Equal(t, a.NotificationPreferences(), b.NotificationPreferences())
}

// A closed account's stream, which carries personal data in the clear, is
// not kept; neither is any stream past streamTTL.
func TestRepository_KeepsNoClosedAccountsStreamAndNoneLongerThanItsTTL(t *testing.T) {
	ctx := context.Background()
	store, id := repoFixture(t)
	repo := NewRepository(store, uuid.New)
	at := time.Now()
	repo.streams.now = func() time.Time { return at }
	md := Metadata{ActorID: id.String(), ActorRole: "citizen"}

	_, err := repo.Update(ctx, id, md, setFrequency(domain.FrequencyDaily))
	require.NoError(t, err)
	require.Len(t, repo.streams.get(id), 3)
	at = at.Add(streamTTL)
	assert.Nil(t, repo.streams.get(id), "past its TTL a stream is read again")

	_, err = repo.Update(ctx, id, md, setFrequency(domain.FrequencyWeekly))
	require.NoError(t, err)
	require.NotNil(t, repo.streams.get(id))
	_, err = repo.Update(ctx, id, md, func(a *domain.ForeignerAccount) error {
		return a.Close(domain.ClosedByOwner, domain.Actor{ID: id.String(), Role: "citizen"}, time.Now())
	})
	require.NoError(t, err)
	assert.Nil(t, repo.streams.get(id), "closing lets the stream go")
	_, err = repo.UpdateClosed(ctx, id, md, func(a *domain.ForeignerAccount) error {
		return a.ErasePersonalData("owner asked", domain.Actor{ID: id.String(), Role: "citizen"}, time.Now())
	})
	require.NoError(t, err)
	assert.Nil(t, repo.streams.get(id), "nor is an erased one kept")
	assert.Zero(t, repo.streams.bytes)
}

// The cache holds at most streamCacheBytes: more streams push others out.
func TestStreamCache_StaysWithinItsBytes(t *testing.T) {
	var c streamCache
	payload := make([]byte, 64<<10)
	for range 2 * streamCacheBytes / len(payload) {
		c.put(uuid.New(), []storedEvent{{typ: "T", data: payload}})
	}
	assert.LessOrEqual(t, c.bytes, streamCacheBytes)
	total := 0
	for _, s := range c.m {
		total += s.bytes
	}
	assert.Equal(t, c.bytes, total)
	assert.Greater(t, len(c.m), streamCacheBytes/len(payload)/2)
}
