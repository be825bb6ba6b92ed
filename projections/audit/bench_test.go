package audit_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/audit"
	"github.com/kabinet/kabinet/readapi"
)

// benchEvents is the size of the log the benchmark lists from
// (KABINET_BENCH_AUDIT_EVENTS overrides the default 1,000,000).
func benchEvents(b *testing.B) int {
	if v := os.Getenv("KABINET_BENCH_AUDIT_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err)
		return n
	}
	return 1_000_000
}

// Seeding by direct inserts, one statement each: event x of n is in
// account x % 10000; one in a hundred is an operator's decision (ten
// operators), half the rest SnilsLinked and half InnLinked; they occurred
// one second apart from benchStart.
var benchStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

const (
	seedSQLite = `WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ?)
	INSERT INTO {table} SELECT {cols} FROM (SELECT x,
		printf('0190f0c2-0000-7000-8000-%012d', x % 10000) AS acc,
		CASE WHEN x % 100 = 0 THEN 'operator-' || (x / 100 % 10) ELSE printf('0190f0c2-0000-7000-8000-%012d', x % 10000) END AS actor,
		CASE WHEN x % 100 = 0 THEN 'operator' ELSE 'citizen' END AS role,
		CASE WHEN x % 2 = 0 THEN 'SnilsLinked' ELSE 'InnLinked' END AS typ,
		? + x * 1000000 AS us FROM g)`
	seedPG = `INSERT INTO {table} SELECT {cols} FROM (SELECT x,
		'0190f0c2-0000-7000-8000-' || lpad((x % 10000)::text, 12, '0') AS acc,
		CASE WHEN x % 100 = 0 THEN 'operator-' || (x / 100 % 10) ELSE '0190f0c2-0000-7000-8000-' || lpad((x % 10000)::text, 12, '0') END AS actor,
		CASE WHEN x % 100 = 0 THEN 'operator' ELSE 'citizen' END AS role,
		CASE WHEN x % 2 = 0 THEN 'SnilsLinked' ELSE 'InnLinked' END AS typ,
		?::bigint + x::bigint * 1000000 AS us FROM generate_series(1, ?) AS g(x)) s`
)

func seed(b *testing.B, db *sqldb.DB, n int) {
	ctx := context.Background()
	data := `CASE WHEN typ = 'SnilsLinked' THEN '{"snils":"112-233-445 95","occurred_at":"2026-11-01T00:00:00Z"}' ELSE '{"inn":"500100732259","occurred_at":"2026-11-01T00:00:00Z"}' END`
	meta := `'{"actor_id":"' || actor || '","actor_role":"' || role || '"}'`
	var events, index string
	if db.IsPostgres() {
		events = `x, 'account-' || acc, x / 10000, md5(x::text)::uuid, typ, 1, convert_to(` + data + `, 'UTF8'),
			convert_to(` + meta + `, 'UTF8'), to_timestamp(us / 1000000.0), to_timestamp(us / 1000000.0)`
		index = `x, acc, actor, role, typ, us`
		run := func(table, cols string) {
			_, err := db.ExecContext(ctx, fill(seedPG, table, cols), benchStart.UnixMicro(), n)
			require.NoError(b, err)
		}
		run("events (position, stream_id, version, event_id, type, schema_version, data, metadata, occurred_at, recorded_at)", events)
		run("audit_events (position, account_id, actor_id, actor_role, type, occurred_us)", index)
	} else {
		t := `strftime('%Y-%m-%dT%H:%M:%S', us / 1000000, 'unixepoch') || '.000000Z'`
		events = `x, 'account-' || acc, x / 10000, printf('%032x', x), typ, 1, CAST(` + data + ` AS BLOB),
			CAST(` + meta + ` AS BLOB), ` + t + `, ` + t
		index = `x, acc, actor, role, typ, us`
		run := func(table, cols string) {
			_, err := db.ExecContext(ctx, fill(seedSQLite, table, cols), n, benchStart.UnixMicro())
			require.NoError(b, err)
		}
		run("events (position, stream_id, version, event_id, type, schema_version, data, metadata, occurred_at, recorded_at)", events)
		run("audit_events (position, account_id, actor_id, actor_role, type, occurred_us)", index)
	}
	_, err := db.ExecContext(ctx, `UPDATE event_head SET position = ?`, n)
	require.NoError(b, err)
	_, err = db.ExecContext(ctx, `ANALYZE`)
	require.NoError(b, err)
}

// BenchmarkAuditFirstPage lists the first page (50 items, shaped as in the
// history: the index query, then the events read from the store and
// decoded) of several filters over a log of 1,000,000 events, on SQLite and
// PostgreSQL, and reports p50 and p99 per filter.
func BenchmarkAuditFirstPage(b *testing.B) {
	n := benchEvents(b)
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			db := map[string]func(testing.TB) *sqldb.DB{"sqlite": sqltest.SQLite, "postgres": sqltest.PG}[backend](b)
			ctx := context.Background()
			store, err := sqlstore.New(ctx, db, sqlstore.Options{})
			require.NoError(b, err)
			defer store.Close()
			_, err = schema.Up(ctx, db, audit.NewProjector().Schema())
			require.NoError(b, err)
			began := time.Now()
			seed(b, db, n)
			b.Logf("seeded %d events and their index in %s", n, time.Since(began).Round(time.Millisecond))
			rd, h := audit.NewReader(db), readapi.NewHistories(store)
			span := time.Duration(n) * time.Second
			day := benchStart.Add(span / 2)
			for _, q := range []struct {
				name string
				q    audit.Query
			}{
				{"actor", audit.Query{ActorID: "operator-3"}},
				{"role-last-day", audit.Query{ActorRole: "operator", From: benchStart.Add(span - 24*time.Hour)}},
				{"type-one-day", audit.Query{Type: "SnilsLinked", From: day, To: day.Add(24 * time.Hour)}},
				{"account", audit.Query{AccountID: "0190f0c2-0000-7000-8000-000000004242"}},
				{"actor-type-week", audit.Query{ActorID: "operator-3", Type: "SnilsLinked", From: day, To: day.Add(7 * 24 * time.Hour)}},
				{"all", audit.Query{}},
			} {
				b.Run(q.name, func(b *testing.B) {
					q.q.Limit = 50
					var took []time.Duration
					b.ResetTimer()
					for range b.N {
						start := time.Now()
						refs, _, err := rd.List(ctx, q.q)
						require.NoError(b, err)
						ps := make([]uint64, len(refs))
						for i, r := range refs {
							ps[i] = r.Position
						}
						items, _, err := h.Events(ctx, ps, false)
						require.NoError(b, err)
						took = append(took, time.Since(start))
						if len(items) == 0 {
							b.Fatal("the filter selects nothing")
						}
					}
					slices.Sort(took)
					b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}

// fill puts table and cols into a seeding statement.
func fill(stmt, table, cols string) string {
	return strings.NewReplacer("{table}", table, "{cols}", cols).Replace(stmt)
}
