package domain

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var evT0 = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)

// sampleEvents has one fully populated value of every registered event.
func sampleEvents() []Event {
	return slices.Concat(accountSampleEvents(), identitySampleEvents(), applicationSampleEvents(), closureSampleEvents(), signinSampleEvents(), deskSampleEvents())
}

// accountSampleEvents has one fully populated value of every registration
// and contact event.
func accountSampleEvents() []Event {
	return []Event{
		AccountRegistered{
			AccountID: uuid.MustParse("6f1c2f4e-3a5b-4c6d-8e9f-0a1b2c3d4e5f"), Surname: "Каримов",
			GivenNames: "Алишер", Patronymic: "Рустамович", Citizenship: "UZ",
			Phone: "+79161234567", Email: "alisher@example.uz", OccurredAt: evT0,
		},
		ContactConfirmationRequested{
			Channel: ChannelPhone, Value: "+79161234567", CodeHash: CodeHashAlg + "ab12",
			ExpiresAt: evT0.Add(PhoneCodeTTL), ResendAfter: evT0.Add(ResendInterval), OccurredAt: evT0,
		},
		ContactConfirmationFailed{Channel: ChannelEmail, Value: "alisher@example.uz", AttemptsLeft: 2, OccurredAt: evT0},
		ContactConfirmationLocked{Channel: ChannelPhone, Value: "+79161234567", Until: evT0.Add(ConfirmationLockDuration), OccurredAt: evT0},
		ContactConfirmed{Channel: ChannelEmail, Value: "alisher@example.uz", OccurredAt: evT0},
		ContactAdded{Channel: ChannelPhone, Value: "+79161234568", Replaces: "+79161234567", OccurredAt: evT0},
		ContactRemoved{Channel: ChannelPhone, Value: "+79161234567", WasConfirmed: true, OccurredAt: evT0},
		ConsentGiven{Kind: ConsentPersonalData, Version: CurrentConsentVersion, OccurredAt: evT0},
		ConsentWithdrawn{Kind: ConsentPersonalData, Version: CurrentConsentVersion, OccurredAt: evT0},
	}
}

func TestEvents_RoundTripThroughTheRegistry(t *testing.T) {
	samples := sampleEvents()
	require.Len(t, samples, len(EventTypes()), "one sample per registered event")
	for _, e := range samples {
		t.Run(e.EventType(), func(t *testing.T) {
			typ, v, data, err := EncodeEvent(e)
			require.NoError(t, err)
			assert.Equal(t, e.EventType(), typ)
			assert.GreaterOrEqual(t, v, 1)
			assert.Contains(t, string(data), `"occurred_at":"2026-03-02T09:30:00.123456789Z"`)

			back, err := DecodeEvent(typ, v, data)
			require.NoError(t, err)
			assert.Equal(t, e, back)
			assert.Equal(t, evT0, EventTime(back))
		})
	}
}

func TestEvents_TypeNameIsTheGoTypeName(t *testing.T) {
	var names []string
	for _, e := range sampleEvents() {
		assert.Equal(t, reflect.TypeOf(e).Name(), e.EventType())
		names = append(names, e.EventType())
	}
	slices.Sort(names)
	assert.Equal(t, names, EventTypes(), "one sample per registered event, and no other")
}

func TestEvents_PayloadsUseSnakeCase(t *testing.T) {
	_, _, data, err := EncodeEvent(sampleEvents()[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"channel", "value", "code_hash", "expires_at", "resend_after", "occurred_at"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, "phone", m["channel"])
}

func TestDecodeEvent_RefusesUnknownTypeAndVersion(t *testing.T) {
	_, err := DecodeEvent("AccountExploded", 1, []byte(`{}`))
	assert.ErrorContains(t, err, "unknown event type")
	_, err = DecodeEvent("ContactConfirmed", 2, []byte(`{}`))
	assert.ErrorContains(t, err, "schema version")
	_, err = DecodeEvent("ContactConfirmed", 0, []byte(`{}`))
	assert.ErrorContains(t, err, "schema version")
	_, err = DecodeEvent("ContactConfirmed", 1, []byte(`{not json`))
	assert.Error(t, err)
	_, err = DecodeEvent("ContactConfirmed", 1, []byte(`{"channel":"fax"}`))
	assert.Error(t, err, "an unknown channel is not silently the zero channel")
}

type strangeEvent struct{}

func (strangeEvent) EventType() string { return "StrangeEvent" }

func TestEncodeEvent_RefusesUnregisteredNilAndPointerEvents(t *testing.T) {
	_, _, _, err := EncodeEvent(strangeEvent{})
	assert.ErrorContains(t, err, "unknown event type")
	_, _, _, err = EncodeEvent(nil)
	assert.Error(t, err)
	_, _, _, err = EncodeEvent(&ContactConfirmed{Channel: ChannelPhone})
	assert.Error(t, err, "apply matches values, so pointers must not reach the store")
}

func TestEventTime_ZeroForEventsWithoutOne(t *testing.T) {
	assert.True(t, EventTime(strangeEvent{}).IsZero())
}

// renamedV2 stands for an event whose schema moved on: v1 had "addr", v2 has "value".
type renamedV2 struct {
	Value string `json:"value"`
}

func (renamedV2) EventType() string { return "Renamed" }

func TestDecodeEvent_UpcastsOlderSchemaVersions(t *testing.T) {
	r := newEventRegistry(
		[]eventType{typeOf[renamedV2](3)},
		map[upcastKey]upcaster{
			{"Renamed", 1}: func(b []byte) ([]byte, error) {
				var v1 struct{ Addr string }
				if err := json.Unmarshal(b, &v1); err != nil {
					return nil, err
				}
				return json.Marshal(map[string]string{"val": v1.Addr})
			},
			{"Renamed", 2}: func(b []byte) ([]byte, error) {
				var v2 struct{ Val string }
				if err := json.Unmarshal(b, &v2); err != nil {
					return nil, err
				}
				return json.Marshal(map[string]string{"value": v2.Val})
			},
		},
	)
	for _, tt := range []struct {
		version int
		data    string
	}{
		{1, `{"addr":"x@example.com"}`},
		{2, `{"val":"x@example.com"}`},
		{3, `{"value":"x@example.com"}`},
	} {
		e, err := r.decode("Renamed", tt.version, []byte(tt.data))
		require.NoError(t, err, "v%d", tt.version)
		assert.Equal(t, renamedV2{Value: "x@example.com"}, e, "v%d", tt.version)
	}

	typ, v, _, err := r.encode(renamedV2{})
	require.NoError(t, err)
	assert.Equal(t, "Renamed", typ)
	assert.Equal(t, 3, v, "new payloads are written at the current version")
}

func TestDecodeEvent_MissingOrFailingUpcasterIsAnError(t *testing.T) {
	boom := errors.New("boom")
	r := newEventRegistry(
		[]eventType{typeOf[renamedV2](3)},
		map[upcastKey]upcaster{{"Renamed", 2}: func([]byte) ([]byte, error) { return nil, boom }},
	)
	_, err := r.decode("Renamed", 1, []byte(`{}`))
	assert.ErrorContains(t, err, "no upcaster from schema version 1")
	_, err = r.decode("Renamed", 2, []byte(`{}`))
	assert.ErrorIs(t, err, boom)
}
