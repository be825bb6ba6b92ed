package sqlstore

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestAppend_EventIDStoredElsewhereIsAnErrorAndWritesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		s := newStore(t, db, Options{})
		ctx := context.Background()
		first := events(2)
		_, err := s.Append(ctx, "a", eventstore.NoStream, first)
		require.NoError(t, err)

		cases := map[string]struct {
			stream string
			exp    eventstore.ExpectedVersion
			evs    []eventstore.EventData
		}{
			"in another stream":   {"b", eventstore.NoStream, first},
			"partly stored":       {"a", eventstore.Exact(1), append(events(1), first[1])},
			"in another order":    {"a", eventstore.NoStream, []eventstore.EventData{first[1], first[0]}},
			"twice in one append": {"c", eventstore.NoStream, append(first[:1:1], first[0])},
		}
		for name, c := range cases {
			_, err := s.Append(ctx, c.stream, c.exp, c.evs)
			assert.ErrorIs(t, err, ErrDuplicateEventID, name)
		}
		assert.Len(t, readAll(t, s), 2, "nothing written")
	})
}

func TestAppend_RetryInTheSameGroupIsIdempotent(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		g := newGate()
		s := newStore(t, db, Options{BeforeCommit: g.hook})
		plug := g.plug(t, s, "")
		evs := events(2)
		a := appendAsync(context.Background(), s, "a", eventstore.NoStream, evs)
		waitQueued(t, s, 1)
		b := appendAsync(context.Background(), s, "a", eventstore.NoStream, evs)
		c := appendAsync(context.Background(), s, "other", eventstore.NoStream, evs[:1])
		waitQueued(t, s, 3)
		g.open()
		require.NoError(t, <-plug)
		oa, ob, oc := await(t, a), await(t, b), await(t, c)
		require.NoError(t, oa.err)
		require.NoError(t, ob.err)
		assert.Equal(t, oa.res, ob.res)
		assert.ErrorIs(t, oc.err, ErrDuplicateEventID, "the same id in another stream of the group fails alone")
		assert.Len(t, readAll(t, s), 3)
	})
}

func TestAppend_EmptyAppendChecksTheVersionOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		s := newStore(t, db, Options{})
		ctx := context.Background()
		res, err := s.Append(ctx, "a", eventstore.NoStream, nil)
		require.NoError(t, err)
		assert.Equal(t, int64(-1), res.NextVersion)
		_, err = s.Append(ctx, "a", eventstore.Exact(0), nil)
		assert.ErrorIs(t, err, eventstore.ErrConflict)
		assert.Empty(t, readAll(t, s))
	})
}

func TestAppend_InvalidInputIsRefusedBeforeQueueing(t *testing.T) {
	s := newStore(t, sqltest.SQLite(t), Options{})
	ctx := context.Background()
	noID := events(1)
	noID[0].ID = [16]byte{}
	noType := events(1)
	noType[0].Type = ""
	for name, call := range map[string]func() error{
		"empty stream":     func() error { _, err := s.Append(ctx, " ", eventstore.Any, events(1)); return err },
		"bad expectation":  func() error { _, err := s.Append(ctx, "a", -7, events(1)); return err },
		"nil event id":     func() error { _, err := s.Append(ctx, "a", eventstore.Any, noID); return err },
		"empty event type": func() error { _, err := s.Append(ctx, "a", eventstore.Any, noType); return err },
	} {
		assert.Error(t, call(), name)
	}
	assert.Empty(t, readAll(t, s))
}

func TestNew_MigratesOnceAndReopensTheSameLog(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		s1, err := New(ctx, db, Options{})
		require.NoError(t, err)
		_, err = s1.Append(ctx, "a", eventstore.NoStream, events(3))
		require.NoError(t, err)
		require.NoError(t, s1.Close())
		require.NoError(t, Migrate(ctx, db))

		s2 := newStore(t, db, Options{})
		h, err := s2.Head(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), h)
		res, err := s2.Append(ctx, "a", eventstore.Exact(2), events(1))
		require.NoError(t, err)
		assert.Equal(t, uint64(4), res.FirstPosition)
	})
}

func TestNew_ConcurrentMigrationsOfOneDatabaseAllSucceed(t *testing.T) {
	dsn := sqltest.PGDSN(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqldb.Open(context.Background(), dsn)
			if err == nil {
				err = Migrate(context.Background(), db)
				db.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

func TestNew_RefusesANonDurableSQLite(t *testing.T) {
	db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "fast.db"), false)
	require.NoError(t, err)
	defer db.Close()
	_, err = New(context.Background(), db, Options{})
	assert.ErrorContains(t, err, "durable")
}

func TestSubscribe_IdleSubscriptionWakesOnAppendWithoutPolling(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		s := newStore(t, db, Options{PollInterval: time.Hour})
		sub, err := s.Subscribe(context.Background(), 0)
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond) // idle at the tail
		_, err = s.Append(context.Background(), "a", eventstore.NoStream, events(1))
		require.NoError(t, err)
		select {
		case e := <-sub.Events():
			assert.Equal(t, uint64(1), e.Position)
		case <-time.After(5 * time.Second):
			t.Fatal("the subscription slept through the append")
		}
	})
}

// Two feeds at one position share their page reads; another process's
// commit on the same file wakes neither, and the safety poll must still
// find it rather than the shared page of before.
func TestSubscribe_FeedsSharingAPageStillPollForAnotherProcessesCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *sqldb.DB {
		db, err := sqldb.OpenSQLite(ctx, path, true)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		return db
	}
	here := newStore(t, open(), Options{PollInterval: 20 * time.Millisecond})
	elsewhere := newStore(t, open(), Options{})
	subs := make([]eventstore.Subscription, 2)
	for i := range subs {
		sub, err := here.Subscribe(ctx, 0)
		require.NoError(t, err)
		subs[i] = sub
	}
	next := func(sub eventstore.Subscription, want uint64, what string) {
		t.Helper()
		select {
		case e := <-sub.Events():
			assert.Equal(t, want, e.Position, what)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: position %d never came", what, want)
		}
	}
	_, err := here.Append(ctx, "a", eventstore.NoStream, events(1))
	require.NoError(t, err)
	for _, sub := range subs {
		next(sub, 1, "this store's commit")
	}
	time.Sleep(50 * time.Millisecond) // both idle at the tail, on one shared page
	_, err = elsewhere.Append(ctx, "b", eventstore.NoStream, events(1))
	require.NoError(t, err)
	for _, sub := range subs {
		next(sub, 2, "another process's commit, found by the poll")
	}
}
