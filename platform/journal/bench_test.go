package journal_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// benchSize reads an entry count from the environment (for longer runs).
func benchSize(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// fill appends n entries in large batches, as fast as Append goes.
func fill(b testing.TB, j *journal.Journal, n int) {
	b.Helper()
	const batch = 5000
	start := time.Now()
	for i := 0; i < n; i += batch {
		_, err := j.Append(context.Background(), entries(i, min(batch, n-i))...)
		require.NoError(b, err)
	}
	_, err := j.Checkpoint(context.Background())
	require.NoError(b, err)
	b.Logf("filled %d entries in %s (%.0f entries/s)", n, time.Since(start).Round(time.Millisecond),
		float64(n)/time.Since(start).Seconds())
}

// cachedSQLite keeps one filled SQLite journal per size for the whole run,
// so the benchmarks and their -count repetitions don't rebuild it; benchDir
// holds their files and is removed by TestMain.
var (
	cachedSQLite sync.Map
	benchDir     string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

type filled struct {
	db *sqldb.DB
	j  *journal.Journal
}

func filledSQLite(b *testing.B, n int) filled {
	if f, ok := cachedSQLite.Load(n); ok {
		return f.(filled)
	}
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "journal-bench")
		require.NoError(b, err)
		benchDir = dir
	}
	db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(benchDir, fmt.Sprintf("bench-%d.db", n)), false)
	require.NoError(b, err)
	j := open(b, db, newKey(b), journal.Options{})
	fill(b, j, n)
	f := filled{db: db, j: j}
	cachedSQLite.Store(n, f)
	return f
}

func benchVerify(b *testing.B, j *journal.Journal, n int) {
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		res, err := j.Verify(ctx)
		require.NoError(b, err)
		require.True(b, res.OK, res.Reason)
		require.Equal(b, uint64(n), res.Entries)
	}
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "entries/s")
}

// BenchmarkVerify measures Verify's throughput (JOURNAL_BENCH_VERIFY
// entries, default 200,000).
func BenchmarkVerify(b *testing.B) {
	n := benchSize("JOURNAL_BENCH_VERIFY", 200_000)
	b.Run(fmt.Sprintf("sqlite/%d", n), func(b *testing.B) {
		benchVerify(b, filledSQLite(b, n).j, n)
	})
	b.Run(fmt.Sprintf("postgres/%d", n), func(b *testing.B) {
		j := open(b, sqltest.PG(b), newKey(b), journal.Options{})
		fill(b, j, n)
		benchVerify(b, j, n)
	})
}

// BenchmarkInclusionProof measures proof latency at JOURNAL_BENCH_PROOF
// entries (default 1,000,000) for random seqs in the latest checkpoint.
func BenchmarkInclusionProof(b *testing.B) {
	n := benchSize("JOURNAL_BENCH_PROOF", 1_000_000)
	b.Run(fmt.Sprintf("sqlite/%d", n), func(b *testing.B) {
		benchProofs(b, filledSQLite(b, n).j, n)
	})
}

func benchProofs(b *testing.B, j *journal.Journal, n int) {
	ctx := context.Background()
	size := uint64(n)
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		seq := rand.Uint64N(size)
		t := time.Now()
		hashes, _, err := j.InclusionProof(ctx, seq, size)
		lat = append(lat, time.Since(t))
		if err != nil || len(hashes) == 0 {
			b.Fatalf("proof for %d: %v", seq, err)
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
