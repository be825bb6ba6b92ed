package pii_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/pii"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

func personalDataPayload(b *testing.B) []byte {
	_, _, data, err := domain.EncodeEvent(domain.PersonalDataProvided{PersonalData: domain.PersonalData{
		Surname: "Каримов", GivenNames: "Азиз", Patronymic: "Бахтиярович",
		Latin:      domain.LatinName{Surname: "KARIMOV", GivenNames: "AZIZ"},
		BirthPlace: domain.BirthPlace{Country: "UZ", City: "Ташкент"}, Citizenship: "UZ",
		AddressRU: domain.AddressRU{Region: "Москва", City: "Москва", Street: "Тверская", House: "1", PostalCode: "125009"},
	}, OccurredAt: time.Now().UTC()})
	require.NoError(b, err)
	return data
}

// BenchmarkCodec measures sealing and opening one PersonalDataProvided
// payload with a cached data key: the cost the codec adds per event.
func BenchmarkCodec(b *testing.B) {
	ctx := context.Background()
	codec := pii.NewCodec(keyringB(b))
	account := uuid.NewString()
	data := personalDataPayload(b)
	sealed, err := codec.Seal(ctx, account, "PersonalDataProvided", pii.Data, data)
	require.NoError(b, err)
	b.Run("seal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := codec.Seal(ctx, account, "PersonalDataProvided", pii.Data, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := codec.Open(ctx, account, "PersonalDataProvided", pii.Data, sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadAll1000 reads 1000 sealed events from SQLite, raw and opened.
func BenchmarkReadAll1000(b *testing.B) {
	ctx := context.Background()
	db := sqltest.SQLite(b)
	s, _ := sealedStoreB(b, db)
	for i := 0; i < 100; i++ {
		id := uuid.Must(uuid.NewV7())
		evs := make([]eventstore.EventData, 10)
		for j := range evs {
			evs[j] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "PersonalDataProvided", SchemaVersion: 1,
				Data: personalDataPayload(b), Metadata: []byte(`{"actor_id":"a","source_ip":"203.0.113.7","user_agent":"curl/8"}`)}
		}
		_, err := s.Append(ctx, "account-"+id.String(), eventstore.NoStream, evs)
		require.NoError(b, err)
	}
	for name, st := range map[string]eventstore.Store{"raw": s.Inner(), "opened": s} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.ReadAll(ctx, 0, 1000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReveal opens one event's data and metadata: first, an event the
// codec has not opened yet (more events in turn than it keeps), and again,
// one it has (each reader after the first).
func BenchmarkReveal(b *testing.B) {
	ctx := context.Background()
	codec := pii.NewCodec(keyringB(b))
	account := uuid.New()
	data, err := codec.Seal(ctx, account.String(), "PersonalDataProvided", pii.Data, personalDataPayload(b))
	require.NoError(b, err)
	meta, err := codec.Seal(ctx, account.String(), "PersonalDataProvided", pii.Metadata,
		[]byte(`{"actor_id":"a","source_ip":"203.0.113.7","user_agent":"curl/8"}`))
	require.NoError(b, err)
	recs := make([]eventstore.RecordedEvent, 3*2048)
	for i := range recs {
		recs[i] = eventstore.RecordedEvent{Position: uint64(i + 1), StreamID: "account-" + account.String(),
			Version: int64(i), ID: uuid.New(), Type: "PersonalDataProvided", SchemaVersion: 1, Data: data, Metadata: meta}
	}
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, _, _, err := codec.Reveal(ctx, recs[i%len(recs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("again", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, _, err := codec.Reveal(ctx, recs[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
