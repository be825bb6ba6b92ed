package kurrenttest_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// These tests hold the double to the real server's behaviour, through the
// real client, so that the adapter's tests over it mean something.

func client(t *testing.T, conn string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(conn)
	require.NoError(t, err)
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func event(typ string) esdb.EventData {
	return esdb.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
}

func readAll(t *testing.T, c *esdb.Client, opts esdb.ReadAllOptions) []*esdb.RecordedEvent {
	t.Helper()
	rs, err := c.ReadAll(ctxT(t), opts, 1000)
	require.NoError(t, err)
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, ev.OriginalEvent())
	}
}

func readStream(t *testing.T, c *esdb.Client, stream string, opts esdb.ReadStreamOptions, n uint64) ([]*esdb.RecordedEvent, error) {
	t.Helper()
	rs, err := c.ReadStream(ctxT(t), stream, opts, n)
	require.NoError(t, err)
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev.OriginalEvent())
	}
}

func TestAll_PositionsAreByteOffsetsWithSystemEventsBetween(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{SystemEvery: 1})
	c := client(t, srv.ConnString())
	for range 3 {
		_, err := c.AppendToStream(ctxT(t), "acc-1", esdb.AppendToStreamOptions{}, event("Tested"), event("Tested"))
		require.NoError(t, err)
	}
	all := readAll(t, c, esdb.ReadAllOptions{From: esdb.Start{}})
	system, user := 0, 0
	for i, r := range all {
		if r.StreamID[0] == '$' {
			system++
		} else {
			user++
		}
		assert.Equal(t, r.Position.Commit, r.Position.Prepare)
		if i > 0 {
			assert.Greater(t, r.Position.Commit, all[i-1].Position.Commit+1, "positions have gaps")
		}
	}
	assert.Equal(t, 6, user)
	assert.GreaterOrEqual(t, system, 5, "two at start, one per append")

	from := all[3].Position
	again := readAll(t, c, esdb.ReadAllOptions{From: from})
	assert.Equal(t, from, again[0].Position, "reading $all from a position includes it")
	back := readAll(t, c, esdb.ReadAllOptions{From: from, Direction: esdb.Backwards})
	assert.Equal(t, all[2].Position, back[0].Position, "backwards excludes it")
}

func TestAppend_ExpectedRevisionsAndIdempotentRetries(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	c := client(t, srv.ConnString())
	ctx := ctxT(t)
	batch := []esdb.EventData{event("A"), event("B")}
	res, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, batch...)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), res.NextExpectedVersion)

	again, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, batch...)
	require.NoError(t, err, "the same ids at the same place are idempotent")
	assert.Equal(t, res.NextExpectedVersion, again.NextExpectedVersion)
	again, err = c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, batch...)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), again.NextExpectedVersion)

	for name, rev := range map[string]esdb.ExpectedRevision{
		"no stream":      esdb.NoStream{},
		"old revision":   esdb.StreamRevision{Value: 0},
		"future":         esdb.StreamRevision{Value: 5},
		"reordered":      esdb.NoStream{},
		"exists, new id": esdb.StreamRevision{Value: 0},
	} {
		evs := []esdb.EventData{event("C")}
		if name == "reordered" {
			evs = []esdb.EventData{batch[1], batch[0]}
		}
		_, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: rev}, evs...)
		var e *esdb.Error
		require.True(t, errors.As(err, &e), name)
		assert.True(t, e.IsErrorCode(esdb.ErrorCodeWrongExpectedVersion), name)
	}
	_, err = c.AppendToStream(ctx, "missing", esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, event("D"))
	assert.Error(t, err)
}

func TestReadStream_MissingStreamAndBackwardPastTheEnd(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	c := client(t, srv.ConnString())
	_, err := readStream(t, c, "nope", esdb.ReadStreamOptions{From: esdb.Start{}}, 10)
	var e *esdb.Error
	require.True(t, errors.As(err, &e))
	assert.True(t, e.IsErrorCode(esdb.ErrorCodeResourceNotFound))

	_, err = c.AppendToStream(ctxT(t), "s", esdb.AppendToStreamOptions{}, event("A"), event("B"), event("C"))
	require.NoError(t, err)
	got, err := readStream(t, c, "s", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.StreamRevision{Value: 20}}, 2)
	require.NoError(t, err)
	assert.Empty(t, got, "like the server, a backward read from past the end reads an empty range")
	got, err = readStream(t, c, "s", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, uint64(2), got[0].EventNumber)
	assert.NotEqual(t, uint64(0), got[0].Position.Commit, "stream reads carry positions (22.6+)")
}

func TestSubscribeToAll_ServerSideFilterFiltersAndCheckpoints(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{SystemEvery: 1})
	c := client(t, srv.ConnString())
	ctx := ctxT(t)
	for i := range 40 {
		stream := "other-1"
		if i%4 == 0 {
			stream = "acc-1"
		}
		_, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{}, event("Tested"))
		require.NoError(t, err)
	}
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   esdb.Start{},
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"acc-"}},
		// checkpoint every 2 × 4 considered events
		MaxSearchWindow: 4, CheckpointInterval: 2,
	})
	require.NoError(t, err)
	defer sub.Close()
	events, checkpoints, caughtUp := 0, 0, false
	for !caughtUp {
		e := sub.Recv()
		switch {
		case e.SubscriptionDropped != nil:
			require.FailNow(t, "dropped", "%v", e.SubscriptionDropped.Error)
		case e.EventAppeared != nil:
			assert.Equal(t, "acc-1", e.EventAppeared.OriginalEvent().StreamID)
			events++
		case e.CheckPointReached != nil:
			checkpoints++
		case e.CaughtUp != nil:
			caughtUp = true
		}
	}
	assert.Equal(t, 10, events)
	assert.GreaterOrEqual(t, checkpoints, 80/8, "about one checkpoint per 8 considered records")

	_, err = c.AppendToStream(ctx, "$$acc-1", esdb.AppendToStreamOptions{}, event("$metadata"))
	require.NoError(t, err)
	_, err = c.AppendToStream(ctx, "acc-1", esdb.AppendToStreamOptions{}, event("Live"))
	require.NoError(t, err)
	for {
		e := sub.Recv()
		require.Nil(t, e.SubscriptionDropped)
		if e.EventAppeared != nil {
			assert.Equal(t, "Live", e.EventAppeared.OriginalEvent().EventType, "the live tail is filtered too")
			return
		}
	}
}

func TestSubscribeToAll_FromAPositionIsExclusiveAndDropsOnDemand(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{SystemEvery: -1})
	c := client(t, srv.ConnString())
	ctx := ctxT(t)
	_, err := c.AppendToStream(ctx, "acc-1", esdb.AppendToStreamOptions{}, event("A"), event("B"), event("C"))
	require.NoError(t, err)
	all := readAll(t, c, esdb.ReadAllOptions{From: esdb.Start{}})
	a := all[len(all)-3]
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: a.Position})
	require.NoError(t, err)
	defer sub.Close()
	e := sub.Recv()
	require.NotNil(t, e.EventAppeared)
	assert.Equal(t, "B", e.EventAppeared.OriginalEvent().EventType)
	srv.DropSubscriptions()
	for {
		e := sub.Recv()
		if e.SubscriptionDropped != nil {
			break
		}
	}
	assert.Equal(t, 1, srv.Subscriptions())
}

func TestDiscovery_GossipLeadsTheClientToTheDouble(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	c := client(t, "esdb+discover://"+srv.Addr()+"?tls=false&maxDiscoverAttempts=2")
	_, err := c.AppendToStream(ctxT(t), "acc-1", esdb.AppendToStreamOptions{}, event("A"))
	require.NoError(t, err)
	v, err := c.GetServerVersion()
	require.NoError(t, err)
	assert.Equal(t, 24, v.Major)
}

func TestPersistent_CreateTwiceIsAlreadyExistsAndUnknownGroupIsNotFound(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	c := client(t, srv.ConnString())
	ctx := ctxT(t)
	require.NoError(t, c.CreatePersistentSubscriptionToAll(ctx, "g", esdb.PersistentAllSubscriptionOptions{}))
	err := c.CreatePersistentSubscriptionToAll(ctx, "g", esdb.PersistentAllSubscriptionOptions{})
	var e *esdb.Error
	require.True(t, errors.As(err, &e))
	assert.True(t, e.IsErrorCode(esdb.ErrorCodeResourceAlreadyExists))
	_, err = c.SubscribeToPersistentSubscriptionToAll(ctx, "nope", esdb.SubscribeToPersistentSubscriptionOptions{})
	require.True(t, errors.As(err, &e))
	assert.True(t, e.IsErrorCode(esdb.ErrorCodeResourceNotFound))
	require.NoError(t, c.DeletePersistentSubscriptionToAll(ctx, "g", esdb.DeletePersistentSubscriptionOptions{}))
}
