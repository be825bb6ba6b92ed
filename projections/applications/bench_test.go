package applications

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/internal/projtest"
)

// BenchmarkListApplications500 lists the applications of an account that
// has 500 of them, among 40 other accounts with 100 each, on both SQL
// backends: the first page (limit 50), a filtered page and all 500 at
// once. It reports p50 and p99 per list.
func BenchmarkListApplications500(b *testing.B) {
	backends := map[string]func(testing.TB) *sqldb.DB{"sqlite": sqltest.SQLite, "postgres": sqltest.PG}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			db := backends[name](b)
			r := projtest.NewRig(b, db, NewProjector())
			account := uuid.Must(uuid.NewV7())
			for i := 0; i < 40; i++ {
				seedApplications(b, r.Store, uuid.Must(uuid.NewV7()), 1000*(i+1), 100, nil)
			}
			seedApplications(b, r.Store, account, 0, 500, func(i int) []domain.Event {
				if i%3 == 0 {
					return []domain.Event{domain.ApplicationAccepted{ApplicationRef: ref(i), OccurredAt: projtest.Start}}
				}
				return nil
			})
			r.CatchUp(b)
			rd := NewReader(db)
			for _, q := range []struct {
				name string
				q    ListQuery
				want int
			}{
				{"first_page_50", ListQuery{AccountID: account, Limit: 50, Today: today}, 50},
				{"status_accepted_50", ListQuery{AccountID: account, Statuses: []string{domain.StatusAccepted}, Limit: 50, Today: today}, 50},
				{"all_500", ListQuery{AccountID: account, Limit: 500, Today: today}, 500},
			} {
				b.Run(q.name, func(b *testing.B) {
					ctx := context.Background()
					lat := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						start := time.Now()
						items, _, err := rd.List(ctx, q.q)
						lat = append(lat, time.Since(start))
						if err != nil || len(items) != q.want {
							b.Fatalf("list: %d items, %v", len(items), err)
						}
					}
					b.StopTimer()
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
				})
			}
		})
	}
}
