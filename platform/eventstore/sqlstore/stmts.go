package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// nonNil stores absent data as empty bytes (the columns are NOT NULL).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// prep is a statement to prepare into dst.
type prep struct {
	dst   **sql.Stmt
	query string
}

func prepareAll(ctx context.Context, db *sql.DB, ps []prep) error {
	for _, p := range ps {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(p.query), err)
		}
		*p.dst = st
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func scanVersions(rows *sql.Rows, hint int) (map[string]int64, error) {
	defer rows.Close()
	out := make(map[string]int64, hint)
	for rows.Next() {
		var s string
		var v int64
		if err := rows.Scan(&s, &v); err != nil {
			return nil, err
		}
		out[s] = v
	}
	return out, rows.Err()
}

func scanLocs(rows *sql.Rows, hint int) (map[uuid.UUID]eventLoc, error) {
	defer rows.Close()
	out := make(map[uuid.UUID]eventLoc, hint)
	for rows.Next() {
		var id uuid.UUID
		var loc eventLoc
		if err := rows.Scan(&id, &loc.stream, &loc.version, &loc.position); err != nil {
			return nil, err
		}
		out[id] = loc
	}
	return out, rows.Err()
}

// parseTime reads a time column: time.Time from PostgreSQL, text from SQLite.
func parseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		return time.Parse(sqliteTime, x)
	case []byte:
		return time.Parse(sqliteTime, string(x))
	default:
		return time.Time{}, fmt.Errorf("time column: unexpected %T", v)
	}
}
