package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// migrateCLI runs `kabinet migrate args…` and returns its output.
func migrateCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), append([]string{"migrate"}, args...), &out, &out))
	return out.String()
}

// everyMigration is every migration the service registers, as status names them.
func everyMigration(postgres bool) []string {
	var out []string
	sets := [][]schema.Component{eventComponents, journalComponents, readComponents}
	if postgres {
		sets = append(sets, pgReadComponents)
	}
	for _, set := range sets {
		for _, c := range set {
			for _, m := range c.Migrations {
				out = append(out, c.Name+"/"+m.ID)
			}
		}
	}
	return out
}

// statusLines maps each migration status lists to its state word.
func statusLines(t *testing.T, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.Contains(f[0], "/0") {
			got[f[0]] = f[1]
		}
	}
	return got
}

func TestMigrate_StatusListsEveryMigrationPendingThenUpAppliesThem(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			args := []string{"--data-dir", t.TempDir()}
			if backend == "postgres" {
				dsn := sqltest.PGDSN(t)
				args = append(args, "--eventstore", dsn, "--readstore", dsn)
			}
			all := everyMigration(backend == "postgres")
			before := statusLines(t, migrateCLI(t, append([]string{"status"}, args...)...))
			require.Len(t, before, len(all))
			for _, name := range all {
				assert.Equal(t, "pending", before[name], name)
			}

			up := migrateCLI(t, append([]string{"up"}, args...)...)
			for _, name := range all {
				assert.Contains(t, up, "applied "+name+" (")
			}
			status := migrateCLI(t, append([]string{"status"}, args...)...)
			for name, state := range statusLines(t, status) {
				assert.Equal(t, "applied", state, name)
			}
			assert.Contains(t, status, "\n0 pending\n")
			assert.NotContains(t, status, "password")

			again := migrateCLI(t, append([]string{"up"}, args...)...)
			assert.Equal(t, "0 migrations applied; the schema is current\n", again)
		})
	}
}

func TestMigrate_UnknownSubcommandIsAUsageError(t *testing.T) {
	err := run(context.Background(), []string{"migrate", "sideways"}, &bytes.Buffer{}, &bytes.Buffer{})
	var ue usageError
	require.ErrorAs(t, err, &ue)
}

// tablesOf lists the tables of a SQLite file, but the migrations' own.
func tablesOf(t *testing.T, path string) []string {
	t.Helper()
	db, err := sqldb.OpenSQLite(context.Background(), path, false)
	require.NoError(t, err)
	defer db.Close()
	var names []string
	require.NoError(t, db.NewRaw(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index')
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'bun_migration%' ORDER BY name`).Scan(context.Background(), &names))
	return names
}

// TestMigrate_EveryTableTheServiceUsesComesFromAMigration compares a data
// dir migrated by `kabinet migrate up` alone with one a running server has
// used: a table or index created outside the migrations shows up in the
// second only.
func TestMigrate_EveryTableTheServiceUsesComesFromAMigration(t *testing.T) {
	migrated := t.TempDir()
	migrateCLI(t, "up", "--data-dir", migrated)

	ts := startServer(t, nil)
	id, tok := ts.register("+79127770001")
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	ts.stop()
	for _, file := range []string{"events.db", "journal.db", "read.db"} {
		assert.Equal(t, tablesOf(t, filepath.Join(ts.dataDir, file)), tablesOf(t, filepath.Join(migrated, file)), file)
	}
}

// TestServe_AdoptsADataDirOfARelease_WithoutVersionedMigrations starts on
// the tables an older release left (the same tables, no bun_migrations):
// the first migrations find their tables there, the data stays.
func TestServe_AdoptsADataDirOfARelease_WithoutVersionedMigrations(t *testing.T) {
	ts := startServer(t, nil)
	reg := ts.do("POST", "/v1/accounts", "", map[string]any{
		"surname": "Иванов", "given_names": "Пётр", "citizenship": "UZ", "phone": "+79127770002", "consent": consent,
	})
	require.Equal(t, http.StatusCreated, reg.status, string(reg.raw))
	id, tok := reg.body["account_id"].(string), reg.body["token"].(string)
	ts.stop()
	dir := ts.dataDir
	for _, file := range []string{"events.db", "journal.db", "read.db"} {
		db, err := sqldb.OpenSQLite(context.Background(), filepath.Join(dir, file), true)
		require.NoError(t, err)
		_, err = db.ExecContext(context.Background(), `DROP TABLE bun_migrations`)
		require.NoError(t, err, file)
		db.Close()
	}
	assert.Len(t, statusLines(t, migrateCLI(t, "status", "--data-dir", dir)), len(everyMigration(false)))

	again := startServerIn(t, dir)
	c := again.do("GET", "/v1/accounts/"+id+"/cabinet", tok, nil, "X-Kabinet-Min-Position", position(reg))
	require.Equal(t, http.StatusOK, c.status, string(c.raw))
	states := statusLines(t, migrateCLI(t, "status", "--data-dir", dir))
	var pending []string
	for name, s := range states {
		if s != "applied" {
			pending = append(pending, name)
		}
	}
	sort.Strings(pending)
	assert.Empty(t, pending)
}
