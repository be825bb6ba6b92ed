package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/eventstoretest"
	"github.com/kabinet/kabinet/platform/eventstore/sqlstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func open(t *testing.T, db *sqldb.DB) eventstore.Store {
	t.Helper()
	s, err := sqlstore.New(context.Background(), db, sqlstore.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract_SQLite(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return open(t, sqltest.SQLite(t)) })
}

func TestContract_PostgreSQL(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return open(t, sqltest.PG(t)) })
}
