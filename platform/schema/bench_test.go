package schema_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// BenchmarkUp_NothingPending is what every start-up pays per database once
// the schema is current: the lock, bun_migrations read, nothing applied
// (twelve components of one migration, as the read store has).
func BenchmarkUp_NothingPending(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var db *sqldb.DB
			if backend == "sqlite" {
				db = sqltest.SQLite(b)
			} else {
				db = sqltest.PG(b)
			}
			var comps []schema.Component
			for i := range 12 {
				comps = append(comps, schema.Component{Name: fmt.Sprintf("c%02d", i), Migrations: []schema.Migration{
					{ID: "0001_tables", Up: schema.SQL(fmt.Sprintf(`CREATE TABLE IF NOT EXISTS t%02d (id {int} PRIMARY KEY)`, i))},
				}})
			}
			ctx := context.Background()
			if _, err := schema.Up(ctx, db, comps...); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := schema.Up(ctx, db, comps...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
