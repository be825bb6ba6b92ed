package scheduler_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// shredLog records the shredder's calls: the real erasure handler calls
// it, and the job calls it for erasures it must finish.
type shredLog struct{ calls []uuid.UUID }

func (s *shredLog) Shred(_ context.Context, id uuid.UUID, _ uint64) error {
	s.calls = append(s.calls, id)
	return nil
}

func TestRetention_ErasesAClosedAccountWhenItsRetentionEnds(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	key := []byte(strings.Repeat("k", 32))
	hasher, err := domain.NewHMACCodeHasher(key)
	require.NoError(t, err)
	closedAt := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	clock := closedAt
	shreds := &shredLog{}
	deps := commands.Deps{
		Repo: commands.NewRepository(store, newID), Claims: commands.NewContactClaims(store, key, newID),
		Notifier: nopNotifier{}, Clock: func() time.Time { return clock }, Random: rand.Reader, Hasher: hasher, NewID: newID,
		Closure: commands.ClosureDeps{Shredder: shreds},
	}
	app := struct {
		CloseAccount      *commands.CloseAccountHandler
		ErasePersonalData *commands.ErasePersonalDataHandler
	}{commands.NewCloseAccountHandler(deps), commands.NewErasePersonalDataHandler(deps)}
	const retention = 3 * 365 * 24 * time.Hour
	job, err := scheduler.NewRetention(ctx, db, store, retention, app.ErasePersonalData.EraseAccount, shreds.Shred, nil)
	require.NoError(t, err)

	closed, open := newID(), newID()
	for _, id := range []uuid.UUID{closed, open} {
		a, err := domain.Register(id, domain.Registration{Consent: domain.CurrentConsent(), Surname: "Иванов", GivenNames: "Пётр", Citizenship: "UZ", Email: "p@example.org"}, closedAt)
		require.NoError(t, err)
		_, err = deps.Repo.Create(ctx, a, commands.Metadata{ActorID: id.String(), ActorRole: "citizen"})
		require.NoError(t, err)
	}
	_, err = app.CloseAccount.Handle(ctx, commands.CloseAccount{AccountID: closed})
	require.NoError(t, err)

	require.NoError(t, job.Run(ctx, closedAt.Add(retention-time.Minute)))
	a, err := deps.Repo.Load(ctx, closed)
	require.NoError(t, err)
	assert.False(t, a.Erased(), "kept until the retention ends")

	require.NoError(t, job.Run(ctx, closedAt.Add(retention)))
	a, err = deps.Repo.Load(ctx, closed)
	require.NoError(t, err)
	assert.True(t, a.Erased(), "erased once the retention ended")
	b, err := deps.Repo.Load(ctx, open)
	require.NoError(t, err)
	assert.False(t, b.Erased(), "an open account is never erased by retention")
	require.Equal(t, []uuid.UUID{closed}, shreds.calls, "the erasure shredded")

	// The job's index sees PersonalDataErased and makes sure it was shredded once more, then stops.
	require.NoError(t, job.Run(ctx, closedAt.Add(retention+time.Hour)))
	require.NoError(t, job.Run(ctx, closedAt.Add(retention+2*time.Hour)))
	assert.Len(t, shreds.calls, 2)
}

func TestRetention_FinishesAnErasureWhoseShreddingFailed(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	store, err := sqlstore.New(ctx, db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	repo := commands.NewRepository(store, newID)
	id := newID()
	now := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	a, err := domain.Register(id, domain.Registration{Consent: domain.CurrentConsent(), Surname: "Ли", GivenNames: "Анна", Citizenship: "KR", Email: "a@example.org"}, now)
	require.NoError(t, err)
	require.NoError(t, a.ErasePersonalData("запрос", domain.Actor{ID: "admin-1", Role: "admin"}, now))
	_, err = repo.Create(ctx, a, commands.Metadata{ActorID: "admin-1", ActorRole: "admin"})
	require.NoError(t, err)

	shreds := &shredLog{}
	erase := func(context.Context, uuid.UUID, time.Time) error { t.Fatal("already erased"); return nil }
	job, err := scheduler.NewRetention(ctx, db, store, time.Hour, erase, shreds.Shred, nil)
	require.NoError(t, err)
	require.NoError(t, job.Run(ctx, now))
	assert.Equal(t, []uuid.UUID{id}, shreds.calls)
	require.NoError(t, job.Run(ctx, now.Add(time.Minute)))
	assert.Len(t, shreds.calls, 1, "shredded once is enough")
}
