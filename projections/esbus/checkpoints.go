package esbus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// CheckpointStore keeps, per consumer, the global position of the last event
// it has finished with. A subscription with a consumer group starts after the
// group's checkpoint.
type CheckpointStore interface {
	// Load returns consumer's checkpoint, 0 when it has none.
	Load(ctx context.Context, consumer string) (uint64, error)
	// Save records position as consumer's checkpoint; a position below the
	// current checkpoint is ignored, so a checkpoint never moves backwards.
	Save(ctx context.Context, consumer string, position uint64) error
}

// SQLCheckpoints is a CheckpointStore in the table
// checkpoints(consumer PRIMARY KEY, position), on SQLite or PostgreSQL. A
// projector that commits its read model and its checkpoint together calls
// SaveTx inside its own transaction and subscribes with SaveOnAck off.
type SQLCheckpoints struct {
	db *sqldb.DB
}

var _ CheckpointStore = (*SQLCheckpoints)(nil)

// NewSQLCheckpoints creates the checkpoints table if missing and returns a
// store over it.
func NewSQLCheckpoints(ctx context.Context, db *sqldb.DB) (*SQLCheckpoints, error) {
	if err := MigrateCheckpoints(ctx, db); err != nil {
		return nil, err
	}
	return &SQLCheckpoints{db: db}, nil
}

// CheckpointMigrations are the checkpoints table, oldest first.
var CheckpointMigrations = schema.Component{Name: "checkpoints", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: schema.SQL(`CREATE TABLE IF NOT EXISTS checkpoints (
		consumer TEXT PRIMARY KEY,
		position BIGINT NOT NULL
	)`)},
}}

// MigrateCheckpoints applies the checkpoints table's pending migrations.
func MigrateCheckpoints(ctx context.Context, db *sqldb.DB) error {
	_, err := schema.Up(ctx, db, CheckpointMigrations)
	return err
}

// Load returns consumer's checkpoint, 0 when it has none.
func (s *SQLCheckpoints) Load(ctx context.Context, consumer string) (uint64, error) {
	return LoadTx(ctx, s.db, consumer)
}

// Save records position as consumer's checkpoint unless it is already
// further.
func (s *SQLCheckpoints) Save(ctx context.Context, consumer string, position uint64) error {
	return SaveTx(ctx, s.db, consumer, position)
}

// SaveTx is Save inside tx, for consumers that commit their checkpoint with
// their own writes.
func (s *SQLCheckpoints) SaveTx(ctx context.Context, tx bun.IDB, consumer string, position uint64) error {
	return SaveTx(ctx, tx, consumer, position)
}

// LoadTx reads consumer's checkpoint through db (a database, connection or
// transaction); 0 when it has none.
func LoadTx(ctx context.Context, db bun.IDB, consumer string) (uint64, error) {
	var pos int64
	err := db.NewSelect().Table("checkpoints").Column("position").
		Where("consumer = ?", consumer).Scan(ctx, &pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load checkpoint %s: %w", consumer, err)
	}
	return uint64(pos), nil
}

// SaveTx upserts consumer's checkpoint through db (a database, connection or
// transaction), keeping the greater of the stored and the given position.
func SaveTx(ctx context.Context, db bun.IDB, consumer string, position uint64) error {
	if position > math.MaxInt64 {
		return fmt.Errorf("save checkpoint %s: position %d out of range", consumer, position)
	}
	greatest := "MAX" // SQLite's two-argument max() is a scalar function
	if db.Dialect().Name() == dialect.PG {
		greatest = "GREATEST"
	}
	_, err := db.NewRaw(`INSERT INTO checkpoints (consumer, position) VALUES (?, ?)
		ON CONFLICT (consumer) DO UPDATE
		SET position = `+greatest+`(checkpoints.position, excluded.position)`,
		consumer, int64(position)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save checkpoint %s at %d: %w", consumer, position, err)
	}
	return nil
}
