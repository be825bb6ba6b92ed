package signin

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// BenchmarkActive is the guard's session check alone on SQLite: through
// the one-second cache, and reading the session row every time.
func BenchmarkActive(b *testing.B) {
	for _, noCache := range []bool{false, true} {
		name := "cached"
		if noCache {
			name = "uncached"
		}
		b.Run(name, func(b *testing.B) {
			db := sqltest.SQLite(b)
			f := newFixture(b, db)
			s := f.service(b, cheap)
			s.c.NoCache = noCache
			tok, err := s.Open(context.Background(), uuid.New(), "bench")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if ok, err := s.Active(context.Background(), tok.SessionID); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
