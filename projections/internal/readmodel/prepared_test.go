package readmodel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func TestDollarPlaceholders_NumbersEachQuestionMark(t *testing.T) {
	assert.Equal(t, "SELECT a FROM t WHERE x = $1 AND y <> $2", dollarPlaceholders("SELECT a FROM t WHERE x = ? AND y <> ?"))
}

func TestPrepared_AnswersOnBothBackendsAndStepsAsideInATransaction(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		_, err := db.ExecContext(ctx, "CREATE TABLE prep_t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, "INSERT INTO prep_t (k, v) VALUES ('a', 1), ('b', 2)")
		require.NoError(t, err)
		p := NewPrepared("SELECT v FROM prep_t WHERE k = ? AND v > ?")
		for range 3 { // prepared once, used again
			stmt, err := p.Stmt(ctx, db)
			require.NoError(t, err)
			require.NotNil(t, stmt)
			var v int
			require.NoError(t, stmt.QueryRowContext(ctx, "b", 0).Scan(&v))
			assert.Equal(t, 2, v)
		}
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		defer tx.Rollback()
		stmt, err := p.Stmt(ctx, tx)
		require.NoError(t, err)
		assert.Nil(t, stmt, "a transaction uses bun")
	})
}

type ctxKey struct{}

func TestPrepared_ReadContextDropsCancellationOnlyOnSQLite(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace"))
		defer cancel()
		p := NewPrepared("SELECT 1 WHERE 1 = ?")
		stmt, err := p.Stmt(ctx, db)
		require.NoError(t, err)
		require.NotNil(t, stmt)
		rctx := p.ReadContext(ctx)
		assert.Equal(t, "trace", rctx.Value(ctxKey{}), "the request's values go along")
		cancel()
		var one int
		err = stmt.QueryRowContext(rctx, 1).Scan(&one)
		if db.IsPostgres() {
			assert.ErrorIs(t, err, context.Canceled, "a PostgreSQL read still ends with its request")
			return
		}
		assert.Nil(t, rctx.Done(), "nothing for database/sql or the driver to watch")
		require.NoError(t, err, "a lookup in the local file runs to its end")
		assert.Equal(t, 1, one)
	})
}
