package sqlstore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// Reads with ever other limits, more than get a statement of their own,
// each return what their limit allows, forward, backward and across the log.
func TestReads_EachLimitHoldsWhateverLimitsCameBefore(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newStore(t, db, Options{})
		_, err := s.Append(ctx, "s-1", eventstore.NoStream, events(3*maxLimits))
		require.NoError(t, err)
		total := 3 * maxLimits
		for _, limit := range []int{1, 5, 2, 0, 7, 3, 11, 4, 9, 6, 13, 8, -1, 10, 1, 2 * maxLimits} {
			want := min(limit, total)
			if limit <= 0 {
				want = total
			}
			all, err := s.ReadAll(ctx, 2, limit)
			require.NoError(t, err)
			require.Len(t, all, min(want, total-2), "ReadAll limit %d", limit)
			assert.Equal(t, uint64(3), all[0].Position)

			fwd, err := s.ReadStream(ctx, "s-1", eventstore.Forward, 0, limit)
			require.NoError(t, err)
			require.Len(t, fwd, want, "forward limit %d", limit)
			assert.Equal(t, int64(want-1), fwd[len(fwd)-1].Version)

			back, err := s.ReadStream(ctx, "s-1", eventstore.Backward, -1, limit)
			require.NoError(t, err)
			require.Len(t, back, want, "backward limit %d", limit)
			assert.Equal(t, int64(total-1), back[0].Version)
		}
		assert.Len(t, s.reads.all.fixed, maxLimits, "limits beyond the first few share the bound statement")
	})
}
