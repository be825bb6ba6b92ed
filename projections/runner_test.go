package projections_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/poison"
)

type rig struct {
	store  eventstore.Store
	read   *sqldb.DB
	runner *projections.Runner
}

func newRig(t *testing.T, events, read *sqldb.DB) *rig {
	ctx := context.Background()
	store, err := sqlstore.New(ctx, events, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	cps, err := esbus.NewSQLCheckpoints(ctx, read)
	require.NoError(t, err)
	pq, err := poison.New(ctx, read, poison.Options{})
	require.NoError(t, err)
	r := &projections.Runner{
		DB: read, Store: store, Checkpoint: cps, Poison: pq, Tracker: projections.NewTracker(read),
		Projectors: []projections.Projector{cabinet.NewProjector()},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return &rig{store: store, read: read, runner: r}
}

// scriptedTraffic registers accounts and drives their contacts through
// requests, wrong codes, locks and confirmations, as real users would.
func scriptedTraffic(t *testing.T, store eventstore.Store, accounts, steps int, seed uint64) []uuid.UUID {
	t.Helper()
	ctx := context.Background()
	rnd := mrand.New(mrand.NewPCG(seed, seed))
	newID := func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	repo := commands.NewRepository(store, newID)
	hasher, err := domain.NewHMACCodeHasher([]byte("test-key-test-key-test-key-12345"))
	require.NoError(t, err)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	md := commands.Metadata{ActorRole: "citizen", CorrelationID: "test", Command: "Scripted"}
	ids := make([]uuid.UUID, accounts)
	codes := map[uuid.UUID]string{}
	for i := range ids {
		n, _ := rand.Int(rand.Reader, big.NewInt(1e9))
		a, err := domain.Register(newID(), domain.Registration{Consent: domain.CurrentConsent(),
			Surname: "Иванов", GivenNames: "Пётр", Citizenship: "UZ",
			Phone: "+79" + leftPad(n.String(), 9), Email: "p" + n.String() + "@example.com",
		}, now)
		require.NoError(t, err)
		_, err = repo.Create(ctx, a, md)
		require.NoError(t, err)
		ids[i] = a.ID()
	}
	for s := 0; s < steps; s++ {
		id := ids[rnd.IntN(len(ids))]
		now = now.Add(61 * time.Second)
		ch := domain.ChannelPhone
		if rnd.IntN(2) == 0 {
			ch = domain.ChannelEmail
		}
		_, _ = repo.Update(ctx, id, md, func(a *domain.ForeignerAccount) error {
			switch rnd.IntN(3) {
			case 0:
				c, err := a.RequestContactCode(ch, now, rand.Reader, hasher)
				if err == nil {
					codes[id] = c
				}
				return err
			case 1:
				return a.ConfirmContact(ch, "000000", now, hasher)
			default:
				return a.ConfirmContact(ch, codes[id], now, hasher)
			}
		})
	}
	return ids
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// TestRunner_StopAtRandomPointsThenMatchesFreshFold stops the projection
// at random moments while events keep arriving, restarts it, and checks the
// read model equals a fold of each stream done by the domain itself:
// nothing missed, nothing applied twice.
func TestRunner_StopAtRandomPointsThenMatchesFreshFold(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := newRig(t, db, db)
		ctx := context.Background()
		var wg sync.WaitGroup
		var ids []uuid.UUID
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids = scriptedTraffic(t, r.store, 20, 300, 7)
		}()
		rnd := mrand.New(mrand.NewPCG(1, 2))
		for i := 0; i < 12; i++ {
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- r.runner.Run(rctx) }()
			time.Sleep(time.Duration(5+rnd.IntN(60)) * time.Millisecond)
			cancel()
			require.NoError(t, ignoreCanceled(<-done))
		}
		wg.Wait()

		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.runner.Run(rctx) }()
		head, err := r.store.Head(ctx)
		require.NoError(t, err)
		_, err = r.runner.Tracker.Wait(ctx, cabinet.ProjectorName, head, 20*time.Second)
		require.NoError(t, err)
		cancel()
		require.NoError(t, ignoreCanceled(<-done))

		reader := cabinet.NewReader(r.read)
		for _, id := range ids {
			want := foldState(t, r.store, id)
			got, err := reader.Get(ctx, id)
			require.NoError(t, err)
			require.NotNil(t, got, "cabinet of %s", id)
			assertSame(t, want, got)
		}
	})
}

func ignoreCanceled(err error) error {
	if err == context.Canceled {
		return nil
	}
	return err
}

func foldState(t *testing.T, store eventstore.Store, id uuid.UUID) domain.AccountState {
	recs, err := store.ReadStream(context.Background(), commands.StreamName(id), eventstore.Forward, 0, 100000)
	require.NoError(t, err)
	var evs []domain.Event
	for _, rec := range recs {
		e, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		require.NoError(t, err)
		evs = append(evs, e)
	}
	return domain.NewAccountFromHistory(id, evs).State()
}

// assertSame compares the read model with the domain's own fold.
func assertSame(t *testing.T, want domain.AccountState, got *cabinet.View) {
	t.Helper()
	assert.Equal(t, want.Version, got.Version, "version")
	assert.Equal(t, want.Level.String(), got.Level, "level")
	assert.Equal(t, want.Surname, got.Profile.Surname)
	require.Len(t, got.Contacts, len(want.Contacts))
	for i, c := range want.Contacts {
		g := got.Contacts[i]
		assert.Equal(t, c.Channel.String(), g.Channel)
		assert.Equal(t, c.Value, g.Value)
		assert.Equal(t, c.Confirmed, g.Confirmed, "confirmed %s", c.Channel)
		if !c.Confirmed {
			assert.Equal(t, 3-c.AttemptsLeft, g.FailedAttempts, "failed attempts %s (applied twice?)", c.Channel)
		}
		assert.Equal(t, c.LockedUntil != nil, g.LockedUntil != nil, "lock %s", c.Channel)
	}
	b, _ := json.Marshal(got)
	_ = b
}

// slowHead is a store whose Head, once trapped, still takes a while to
// return after its caller gave up, as a remote store's call in flight does.
type slowHead struct {
	eventstore.Store
	trapped  atomic.Bool
	inFlight atomic.Int32
}

func (s *slowHead) Head(ctx context.Context) (uint64, error) {
	if !s.trapped.Load() {
		return s.Store.Head(ctx)
	}
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	<-ctx.Done()
	time.Sleep(time.Second)
	return 0, ctx.Err()
}

// When Run returns nothing of the Runner still asks the store: the caller
// closes the store next (a KurrentDB client closed under a call races).
func TestRunner_RunReturnsOnlyWhenNothingOfItAsksTheStore(t *testing.T) {
	rg := newRig(t, sqltest.SQLite(t), sqltest.SQLite(t))
	store := &slowHead{Store: rg.store}
	rg.runner.Store = store
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rg.runner.Run(ctx) }()
	time.Sleep(300 * time.Millisecond) // caught up (an empty log): following it
	store.trapped.Store(true)
	require.Eventually(t, func() bool { return store.inFlight.Load() == 1 }, 5*time.Second, 5*time.Millisecond,
		"the head sampler asks within its period")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	assert.Zero(t, store.inFlight.Load(), "the head sampler still asked the store after Run returned")
}
