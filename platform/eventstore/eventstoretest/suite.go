// Package eventstoretest is the contract every eventstore.Store adapter
// passes: Run it from the adapter's tests against a real backend. It uses only
// the port, names its streams uniquely and measures the global log from the
// head it finds, so it also runs against a store that is not empty.
package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
)

// Case is one rule of the contract.
type Case struct {
	Name string
	Test func(t *testing.T, s eventstore.Store)
}

// Cases returns the contract's rules, for adapters that want to run them
// selectively; Run runs them all.
func Cases() []Case {
	var all []Case
	all = append(all, appendCases...)
	all = append(all, readCases...)
	all = append(all, concurrencyCases...)
	all = append(all, subscribeCases...)
	return all
}

// Run runs every case as a subtest, each on a store from newStore. newStore
// registers the store's cleanup itself (t.Cleanup); closing a store twice
// must be harmless.
func Run(t *testing.T, newStore func(t *testing.T) eventstore.Store) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) { c.Test(t, newStore(t)) })
	}
}

// waitLong bounds every wait for something asynchronous.
const waitLong = 15 * time.Second

// occurred is a fixed, non-UTC, sub-microsecond time: stores keep it to the
// microsecond and give it back in UTC.
var occurred = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("MSK", 3*3600))

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLong)
	t.Cleanup(cancel)
	return ctx
}

// stream returns a stream id no other test uses.
func stream(prefix string) string { return prefix + "-" + uuid.NewString() }

// ev returns a fresh event with JSON data naming n.
func ev(typ string, n int) eventstore.EventData {
	return eventstore.EventData{
		ID:            uuid.Must(uuid.NewV7()),
		Type:          typ,
		SchemaVersion: 1,
		Data:          []byte(fmt.Sprintf(`{"n":%d}`, n)),
		Metadata:      []byte(`{"correlation_id":"c-1"}`),
		OccurredAt:    occurred,
	}
}

// evs returns n fresh events numbered from 0.
func evs(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = ev("Tested", i)
	}
	return out
}

// mustAppend appends and fails the test on error.
func mustAppend(t *testing.T, s eventstore.Store, st string, exp eventstore.ExpectedVersion, e []eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxT(t), st, exp, e)
	require.NoError(t, err, "append to %s expecting %s", st, exp)
	return res
}

// requireConflict checks that err is a typed conflict with the given actual version.
func requireConflict(t *testing.T, err error, st string, exp eventstore.ExpectedVersion, actual int64) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, eventstore.ErrConflict)
	var ce *eventstore.ConflictError
	require.True(t, errors.As(err, &ce), "want *eventstore.ConflictError, got %T: %v", err, err)
	assert.Equal(t, st, ce.Stream)
	assert.Equal(t, exp, ce.Expected)
	assert.Equal(t, actual, ce.Actual)
}

// readStream reads the whole stream forward.
func readStream(t *testing.T, s eventstore.Store, st string) []eventstore.RecordedEvent {
	t.Helper()
	got, err := s.ReadStream(ctxT(t), st, eventstore.Forward, 0, 100000)
	require.NoError(t, err)
	return got
}

// readAllAfter reads the global log after pos to its end, in pages.
func readAllAfter(t *testing.T, s eventstore.Store, pos uint64) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	for {
		page, err := s.ReadAll(ctxT(t), pos, 1000)
		require.NoError(t, err)
		out = append(out, page...)
		if len(page) < 1000 {
			return out
		}
		pos = page[len(page)-1].Position
	}
}

// head returns the store's head.
func head(t *testing.T, s eventstore.Store) uint64 {
	t.Helper()
	h, err := s.Head(ctxT(t))
	require.NoError(t, err)
	return h
}

// requireGapFree checks that positions are consecutive, starting right after after.
func requireGapFree(t *testing.T, got []eventstore.RecordedEvent, after uint64) {
	t.Helper()
	for i, e := range got {
		require.Equal(t, after+uint64(i)+1, e.Position, "event %d of the log (id %s)", i, e.ID)
	}
}

// ids lists the ids of events.
func ids[E eventstore.EventData | eventstore.RecordedEvent](events []E) []uuid.UUID {
	out := make([]uuid.UUID, len(events))
	for i, e := range events {
		switch x := any(e).(type) {
		case eventstore.EventData:
			out[i] = x.ID
		case eventstore.RecordedEvent:
			out[i] = x.ID
		}
	}
	return out
}

// collect receives n events from sub or fails after waitLong.
func collect(t *testing.T, sub eventstore.Subscription, n int) []eventstore.RecordedEvent {
	t.Helper()
	out := make([]eventstore.RecordedEvent, 0, n)
	timeout := time.After(waitLong)
	for len(out) < n {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription ended after %d of %d events: %v", len(out), n, sub.Err())
			out = append(out, e)
		case <-timeout:
			require.FailNow(t, "subscription too slow", "got %d of %d events", len(out), n)
		}
	}
	return out
}
