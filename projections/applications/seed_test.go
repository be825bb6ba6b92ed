package applications

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/projections/internal/projtest"
)

// appID is the id of the i-th seeded application.
func appID(i int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("app-%d", i)))
}

func ref(i int) domain.ApplicationRef {
	return domain.ApplicationRef{ApplicationID: appID(i), By: "op", ByRole: "operator"}
}

// seedApplications appends n certificate applications, numbered from
// offset, to account's stream (registration first), each followed by what
// more(i) returns.
func seedApplications(tb testing.TB, store eventstore.Store, account uuid.UUID, offset, n int, more func(i int) []domain.Event) {
	tb.Helper()
	ctx := context.Background()
	at := projtest.Start
	evs := []domain.Event{domain.AccountRegistered{AccountID: account, Surname: "Ли", GivenNames: "Вэй", Citizenship: "CN", Email: "w@example.com", OccurredAt: at}}
	for i := offset; i < offset+n; i++ {
		evs = append(evs, domain.ApplicationSubmitted{
			ApplicationRef: domain.ApplicationRef{ApplicationID: appID(i), By: account.String(), ByRole: "citizen"},
			Number:         fmt.Sprintf("2026-%06d", i), Service: domain.ServiceCertificate,
			Form:     map[string]any{"kind": "right_to_work", "purpose": "Для работодателя"},
			Deadline: domain.MustDate(2026, 4, 22), OccurredAt: at,
		})
		if more != nil {
			evs = append(evs, more(i)...)
		}
	}
	var data []eventstore.EventData
	for _, e := range evs {
		typ, v, payload, err := domain.EncodeEvent(e)
		require.NoError(tb, err)
		data = append(data, eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: typ, SchemaVersion: v, Data: payload,
			Metadata: []byte(`{}`), OccurredAt: domain.EventTime(e)})
	}
	for start := 0; start < len(data); start += 1000 {
		_, err := store.Append(ctx, "account-"+account.String(), eventstore.Any, data[start:min(start+1000, len(data))])
		require.NoError(tb, err)
	}
}
