package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// onlyReadAll hides a store's PositionReader, to exercise the fallback.
type onlyReadAll struct{ eventstore.Store }

func TestReadPositions_ReturnsTheEventsAtThosePositionsInOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		s := newStore(t, db, Options{})
		_, err := s.Append(context.Background(), "s-1", eventstore.NoStream, events(10))
		require.NoError(t, err)
		want := []uint64{2, 3, 7, 10}
		for name, st := range map[string]eventstore.Store{"sql": s, "fallback": onlyReadAll{s},
			"instrumented": eventstore.Instrumented(s, nopObserver{})} {
			got, err := eventstore.ReadPositions(context.Background(), st, append(want, 11))
			require.NoError(t, err, name)
			var ps []uint64
			for _, e := range got {
				ps = append(ps, e.Position)
			}
			assert.Equal(t, want, ps, "%s: the positions asked for that exist, ascending", name)
			assert.Equal(t, int64(6), got[2].Version, name)
		}
	})
}

type nopObserver struct{}

func (nopObserver) ObserveAppend(int, time.Duration, error) {}
