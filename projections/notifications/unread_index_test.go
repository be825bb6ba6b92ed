package notifications_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/notifications"
)

// The unread count that every cabinet read runs is answered from the
// partial index alone, not by reading each of the account's notifications.
func TestUnreadCount_IsCountedOnItsIndexAlone(t *testing.T) {
	ctx := context.Background()
	db := sqltest.SQLite(t)
	_, err := schema.Up(ctx, db, notifications.Migrations)
	require.NoError(t, err)
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT "+notifications.UnreadOfAccount, "a")
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, strings.Join(plan, "\n"), "USING COVERING INDEX notifications_unread", "plan: %v", plan)
}
