package readmodel

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Index is a secondary index of a read-model table.
type Index struct {
	Name, Table, Columns string
}

// CreateTables creates the bun models' tables and the indexes, each only if
// missing, on SQLite and PostgreSQL alike.
func CreateTables(ctx context.Context, db bun.IDB, models []any, indexes []Index) error {
	for _, m := range models {
		if _, err := db.NewCreateTable().Model(m).IfNotExists().Exec(ctx); err != nil {
			return fmt.Errorf("create table for %T: %w", m, err)
		}
	}
	for _, ix := range indexes {
		q := "CREATE INDEX IF NOT EXISTS " + ix.Name + " ON " + ix.Table + " (" + ix.Columns + ")"
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create index %s: %w", ix.Name, err)
		}
	}
	return nil
}
