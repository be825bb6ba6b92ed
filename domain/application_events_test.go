package domain

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	sampleAppID = uuid.MustParse("7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6")
	sampleDocID = uuid.MustParse("5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")
)

// applicationSampleEvents has one fully populated value of every
// application event.
func applicationSampleEvents() []Event {
	by := func(role string) ApplicationRef {
		return ApplicationRef{ApplicationID: sampleAppID, By: "actor-" + role, ByRole: role}
	}
	return []Event{
		ApplicationSubmitted{
			ApplicationRef: by("citizen"), Number: "2026-000123", Service: ServicePatent,
			Form: map[string]any{
				"region": "Москва", "period_months": float64(6), "arrival_date": "2026-03-01",
				"address": map[string]any{"city": "Москва", "postal_code": "125009"}, "flag": true,
			},
			DocumentIDs: []uuid.UUID{sampleDocID}, Fee: rub(4200),
			Deadline: MustDate(2026, time.March, 16), OccurredAt: evT0,
		},
		FeeCharged{ApplicationRef: by("citizen"), Amount: 420000, Currency: CurrencyRUB, OccurredAt: evT0},
		FeePaid{ApplicationRef: by("payment_gateway"), Amount: 420000, Currency: CurrencyRUB, TransactionID: "tx-1",
			Deadline: MustDate(2026, time.March, 16), OccurredAt: evT0},
		ApplicationAccepted{ApplicationRef: by("operator"), OccurredAt: evT0},
		ApplicationReviewStarted{ApplicationRef: by("operator"), OccurredAt: evT0},
		ClarificationRequested{ApplicationRef: by("operator"), Comment: "Приложите договор",
			Due: MustDate(2026, time.March, 10), OccurredAt: evT0},
		ClarificationProvided{ApplicationRef: by("citizen"), Comment: "Приложил",
			DocumentIDs: []uuid.UUID{sampleDocID}, OccurredAt: evT0},
		ApplicationApproved{ApplicationRef: by("operator"), Comment: "ok", OccurredAt: evT0,
			ResultDocument: ResultDocument{Type: DocPatent, Number: "77 №2600123", IssuedAt: MustDate(2026, time.March, 3),
				ValidUntil: MustDate(2026, time.September, 3), FileID: "blob-1"}},
		ApplicationRejected{ApplicationRef: by("operator"), Reasons: []string{ReasonDocumentsMissing},
			Comment: "Нет миграционной карты", MissingDocuments: []string{DocMigrationCard}, Timeout: true, OccurredAt: evT0},
		ApplicationResubmitted{ApplicationRef: by("citizen"), Form: map[string]any{"region": "Москва"},
			DocumentIDs: []uuid.UUID{sampleDocID}, Deadline: MustDate(2026, time.March, 17), OccurredAt: evT0},
		ApplicationWithdrawn{ApplicationRef: by("citizen"), OccurredAt: evT0},
		ApplicationEdited{ApplicationRef: by("citizen"), Status: StatusSubmitted, Form: map[string]any{"region": "Москва"},
			DocumentIDs: []uuid.UUID{sampleDocID}, OccurredAt: evT0},
	}
}

func TestApplicationEvents_RoundTripWithNullsKept(t *testing.T) {
	// Null means "unchanged" in a resubmission and "no deadline yet" in a
	// submission with a fee: both must read back as they were written.
	for _, e := range []Event{
		ApplicationResubmitted{ApplicationRef: ApplicationRef{ApplicationID: sampleAppID, By: "c", ByRole: "citizen"}, OccurredAt: evT0},
		ApplicationResubmitted{Form: map[string]any{}, DocumentIDs: []uuid.UUID{}, OccurredAt: evT0},
		ApplicationSubmitted{Form: map[string]any{}, DocumentIDs: []uuid.UUID{}, Fee: rub(1), OccurredAt: evT0},
	} {
		typ, v, data, err := EncodeEvent(e)
		require.NoError(t, err)
		back, err := DecodeEvent(typ, v, data)
		require.NoError(t, err)
		assert.Equal(t, e, back, string(data))
	}
}

func TestApplicationEvents_CarryTheApplicationAndTheActorAtTheTop(t *testing.T) {
	for _, e := range applicationSampleEvents() {
		_, _, data, err := EncodeEvent(e)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		assert.Equal(t, sampleAppID.String(), m["application_id"], e.EventType())
		assert.NotEmpty(t, m["by"], e.EventType())
		assert.NotEmpty(t, m["by_role"], e.EventType())
		assert.Contains(t, m, "occurred_at", e.EventType())
		ref, _, ok := ApplicationStatusOf(e)
		assert.True(t, ok)
		assert.Equal(t, sampleAppID, ref.ApplicationID)
	}
}

func TestApplicationEvents_SubmittedPayload(t *testing.T) {
	_, _, data, err := EncodeEvent(applicationSampleEvents()[0])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"number", "service", "form", "document_ids", "fee", "deadline"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, map[string]any{"amount": float64(420000), "currency": "RUB"}, m["fee"])
	assert.Equal(t, "2026-03-16", m["deadline"])
}
