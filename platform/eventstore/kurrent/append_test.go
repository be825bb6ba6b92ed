package kurrent_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// TestAppend_ExpectedVersionTable runs each precondition against a missing
// stream and a stream at version 2, through the client and the double.
func TestAppend_ExpectedVersionTable(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := open(t, srv.ConnString(), kurrent.Options{})
	const ok = -100 // want success
	cases := []struct {
		name     string
		existing int // events already in the stream
		exp      eventstore.ExpectedVersion
		next     int64 // NextVersion on success
		actual   int64 // ConflictError.Actual, or ok
	}{
		{"missing/no-stream", 0, eventstore.NoStream, 0, ok},
		{"missing/any", 0, eventstore.Any, 0, ok},
		{"missing/exact 0", 0, eventstore.Exact(0), 0, -1},
		{"missing/exact 2", 0, eventstore.Exact(2), 0, -1},
		{"at 2/no-stream", 3, eventstore.NoStream, 0, 2},
		{"at 2/any", 3, eventstore.Any, 3, ok},
		{"at 2/exact 0", 3, eventstore.Exact(0), 0, 2},
		{"at 2/exact 2", 3, eventstore.Exact(2), 3, ok},
		{"at 2/exact 3", 3, eventstore.Exact(3), 0, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := "acc-" + uuid.NewString()
			if c.existing > 0 {
				_, err := s.Append(ctxT(t), st, eventstore.NoStream, events(c.existing))
				require.NoError(t, err)
			}
			res, err := s.Append(ctxT(t), st, c.exp, events(1))
			if c.actual == ok {
				require.NoError(t, err)
				assert.Equal(t, c.next, res.NextVersion)
				assert.Equal(t, res.FirstPosition, res.LastPosition)
				return
			}
			var ce *eventstore.ConflictError
			require.True(t, errors.As(err, &ce), "want a conflict, got %v", err)
			assert.ErrorIs(t, err, eventstore.ErrConflict)
			assert.Equal(t, st, ce.Stream)
			assert.Equal(t, c.exp, ce.Expected)
			assert.Equal(t, c.actual, ce.Actual)
		})
	}
}

func TestAppend_RefusesSystemStreamsAndEmptyBatches(t *testing.T) {
	srv := kurrenttest.Start(t, kurrenttest.Options{})
	s := open(t, srv.ConnString(), kurrent.Options{})
	_, err := s.Append(ctxT(t), "$settings", eventstore.Any, events(1))
	assert.Error(t, err)
	_, err = s.Append(ctxT(t), "acc-1", eventstore.Any, nil)
	assert.Error(t, err)
	h, err := s.Head(ctxT(t))
	require.NoError(t, err)
	assert.Zero(t, h, "the double's own system events are not counted")
}
