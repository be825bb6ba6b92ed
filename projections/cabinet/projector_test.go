package cabinet_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/internal/projtest"
)

// TestCabinet_StopAndRestartMatchesDomainFoldAndRebuild stops the
// projection at random moments while the whole domain's traffic arrives,
// then checks every cabinet against the domain's own fold of the stream
// (level by DeriveLevel, documents, verification, identifiers, services,
// preferences, application counts) and against a rebuild from 0.
func TestCabinet_StopAndRestartMatchesDomainFoldAndRebuild(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		r := projtest.NewRig(t, db, cabinet.NewProjector())
		var ids []uuid.UUID
		r.StopAndRestart(t, 11, func() { ids = projtest.Traffic(t, r.Store, 12, 500, 3) })
		ctx := context.Background()
		reader := cabinet.NewReader(db)
		types := map[string]int{}
		for _, id := range ids {
			a, recs := projtest.Fold(t, r.Store, id)
			for _, rec := range recs {
				types[rec.Type]++
			}
			got, err := reader.Get(ctx, id)
			require.NoError(t, err)
			require.NotNil(t, got)
			assertMatchesDomain(t, a.State(), got)
		}
		t.Logf("event types in the traffic: %v", types)
		for _, typ := range []string{"PersonalDataProvided", "DocumentAdded", "DocumentExpired", "SnilsLinked",
			"IdentityVerified", "IdentityVerificationRejected", "ApplicationSubmitted", "FeePaid", "ApplicationApproved"} {
			assert.Positive(t, types[typ], "the traffic should include %s", typ)
		}

		before := projtest.Dump(t, db, "cabinet_views", "account_id")
		r.Rebuild(t, cabinet.NewProjector())
		assert.Equal(t, before, projtest.Dump(t, db, "cabinet_views", "account_id"), "a rebuild from 0 gives the same rows")
	})
}

// assertMatchesDomain compares a cabinet with the domain's state.
func assertMatchesDomain(t *testing.T, want domain.AccountState, got *cabinet.View) {
	t.Helper()
	assert.Equal(t, want.Version, got.Version, "version")
	assert.Equal(t, want.Level.String(), got.Level, "level")
	assert.Equal(t, want.Surname, got.Profile.Surname)
	assert.Equal(t, want.GivenNames, got.Profile.GivenNames)
	assert.Equal(t, want.PersonalData, got.PersonalData)
	require.Len(t, got.Contacts, len(want.Contacts))
	for i, c := range want.Contacts {
		assert.Equal(t, c.Confirmed, got.Contacts[i].Confirmed)
		assert.Equal(t, c.Value, got.Contacts[i].Value)
	}
	require.Len(t, got.Documents, len(want.Documents))
	for i, d := range want.Documents {
		g := got.Documents[i]
		assert.Equal(t, d.ID.String(), g.ID)
		assert.Equal(t, d.Expired, g.Expired, "expired %s", g.ID)
		assert.Equal(t, d.Number, g.Number)
		assert.Equal(t, len(d.Scans), g.ScanCount)
	}
	assert.Equal(t, jsonOf(t, want.Verification), jsonOf(t, got.Verification), "verification")
	if want.Snils.IsZero() {
		assert.Empty(t, got.Snils)
	} else {
		assert.Equal(t, want.Snils.String(), got.Snils)
	}
	assert.Equal(t, want.Inn.String(), got.Inn)
	assert.Equal(t, want.StayValid, got.StayValid, "stay valid")
	assert.Equal(t, domain.AvailableServices(want.Level, want.StayValid), got.AvailableServices)
	assert.Equal(t, want.NotificationPreferences, got.NotificationPreferences)
	assert.Equal(t, domain.ApplicationCounts(want.Applications), got.ApplicationCounts, "application counts")
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestCabinet_RedeliveredBatchChangesNothing(t *testing.T) {
	db := sqltest.SQLite(t)
	r := projtest.NewRig(t, db, cabinet.NewProjector())
	projtest.Traffic(t, r.Store, 3, 120, 5)
	ctx := context.Background()
	recs, err := r.Store.ReadAll(ctx, 0, 10000)
	require.NoError(t, err)
	p := cabinet.NewProjector()
	project := func(batch []eventstore.RecordedEvent) {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, p.Project(ctx, tx, batch))
		require.NoError(t, tx.Commit())
	}
	project(recs)
	once := projtest.Dump(t, db, "cabinet_views", "account_id")
	project(recs)
	project(recs[len(recs)/2:])
	assert.Equal(t, once, projtest.Dump(t, db, "cabinet_views", "account_id"))
}

func TestView_MaskedShowsOnlyTheLastTwoDigits(t *testing.T) {
	v := cabinet.View{Snils: "112-233-445 95", Inn: "500100732259"}
	m := v.Masked()
	assert.Equal(t, "***-***-*** 95", m.Snils)
	assert.Equal(t, "**********59", m.Inn)
	assert.Equal(t, "112-233-445 95", v.Snils, "the original is untouched")
}

func TestView_AsOfExpiresDocumentsPastTheirDateAndClosesStayServices(t *testing.T) {
	v := cabinet.View{Level: "confirmed", StayValid: true, Documents: []cabinet.Document{
		{ID: "p", Kind: domain.DocumentKindIdentity, Type: domain.DocForeignPassport, ExpiresAt: domain.MustDate(2030, 1, 9)},
		{ID: "s", Kind: domain.DocumentKindStayRight, Type: domain.DocPatent, ExpiresAt: domain.MustDate(2026, 4, 20)},
	}}
	on := v.AsOf(domain.MustDate(2026, 4, 20))
	assert.False(t, on.Documents[1].Expired, "valid through its expiry day")
	assert.Contains(t, on.AvailableServices, domain.ServicePatent)
	after := v.AsOf(domain.MustDate(2026, 4, 21))
	assert.True(t, after.Documents[1].Expired)
	assert.False(t, after.StayValid)
	assert.NotContains(t, after.AvailableServices, domain.ServicePatent)
	assert.Contains(t, after.AvailableServices, domain.ServiceCertificate)
	assert.False(t, v.Documents[1].Expired, "the original is untouched")
}
