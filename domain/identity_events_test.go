package domain

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// identitySampleEvents has one fully populated value of every identity event.
func identitySampleEvents() []Event {
	docID := uuid.MustParse("5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")
	scan := ScanRef{BlobID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Size: 123456, Type: ScanJPEG, SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
	translation := ScanRef{BlobID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", Size: 2048, Type: ScanPDF, SHA256: "ab"}
	return []Event{
		PersonalDataProvided{PersonalData: PersonalData{
			Surname: "Каримов", GivenNames: "Алишер", Patronymic: "Рустамович",
			Latin:     LatinName{Surname: "Karimov", GivenNames: "Alisher", Patronymic: "Rustamovich"},
			BirthDate: MustDate(1990, 3, 15), BirthPlace: BirthPlace{Country: "UZ", City: "Ташкент"},
			Citizenship:   "UZ",
			AddressRU:     AddressRU{Region: "Москва", City: "Москва", Street: "Тверская", House: "1", Flat: "12", PostalCode: "125009"},
			AddressAbroad: "Tashkent, Navoi st. 5",
		}, OccurredAt: evT0},
		DocumentAdded{
			DocumentID: docID, Kind: DocumentKindStayRight, Type: DocVisa, VisaKind: VisaStudent,
			Series: "FA", Number: "1234567", IssuedAt: MustDate(2025, 9, 1), ExpiresAt: MustDate(2026, 8, 31),
			Issuer: "Embassy", Latin: &LatinName{Surname: "KARIMOV", GivenNames: "ALISHER"},
			Scans: []ScanRef{scan}, Translation: &translation, UploadedBy: "op-3", OccurredAt: evT0,
		},
		DocumentExpired{DocumentID: docID, OccurredAt: evT0},
		IdentityVerificationRequested{Method: MethodRussianPost, Deadline: MustDate(2026, 3, 9), OccurredAt: evT0},
		VerificationCodeIssued{
			Method: MethodBank, CodeHash: "cd34", ExpiresAt: evT0.Add(BankCodeTTL),
			ResendAfter: evT0.Add(BankCodeResendInterval), OccurredAt: evT0,
		},
		VerificationCodeFailed{AttemptsLeft: 1, OccurredAt: evT0},
		VerificationDeadlineExtended{NewDeadline: MustDate(2026, 3, 16), OccurredAt: evT0},
		IdentityVerified{
			Method: MethodESignature, By: "e_signature", Comment: "ok",
			CertificateSerial: "01AB", CertificateIssuer: "CA", OccurredAt: evT0,
		},
		IdentityVerificationRejected{Reasons: []string{ReasonDataMismatch, ReasonScanUnreadable}, Comment: "blurred", By: "op-1", OccurredAt: evT0},
		IdentityVerificationReset{Reason: ReasonIdentityDataChanged, OccurredAt: evT0},
		SnilsLinked{Snils: mustSnils("11223344595"), OccurredAt: evT0},
		SnilsRejected{SnilsMasked: "***-***-*** 95", Reason: ReasonRegistryMismatch, OccurredAt: evT0},
		InnLinked{Inn: mustInn("500100732259"), OccurredAt: evT0},
		InnRejected{InnMasked: "**********59", Reason: ReasonRegistryMismatch, OccurredAt: evT0},
		NotificationPreferencesChanged{NotificationPreferences: NotificationPreferences{
			Email: true, SMS: false, Push: true, Frequency: FrequencyWeekly, DisableAll: true,
		}, OccurredAt: evT0},
		SignatureChallengeIssued{Challenge: []byte{1, 2, 3, 255}, ExpiresAt: evT0.Add(SignatureChallengeTTL), OccurredAt: evT0},
		IdentityVerificationCancelled{Method: MethodBank, Reason: ReasonIdentityDataChanged, OccurredAt: evT0},
		VerificationMethodLocked{Method: MethodRussianPost, Until: evT0.Add(MethodLockDuration), OccurredAt: evT0},
		SnilsUnlinked{SnilsMasked: "***-***-*** 95", Reason: "person_mismatch", OccurredAt: evT0},
		InnUnlinked{InnMasked: "**********59", Reason: "person_mismatch", OccurredAt: evT0},
		AccountLevelLowered{From: LevelConfirmed, To: LevelStandard, Reason: ReasonLevelDocumentExpired, OccurredAt: evT0},
	}
}

func TestIdentityEvents_PayloadsUseTheDocumentedSnakeCaseFields(t *testing.T) {
	want := map[string][]string{
		"PersonalDataProvided": {"surname", "given_names", "patronymic", "latin", "birth_date", "birth_place",
			"citizenship", "address_ru", "address_abroad", "occurred_at"},
		"DocumentAdded": {"document_id", "kind", "type", "visa_kind", "series", "number", "issued_at",
			"expires_at", "issuer", "latin", "scans", "translation_blob", "uploaded_by", "occurred_at"},
		"DocumentExpired":                {"document_id", "occurred_at"},
		"IdentityVerificationRequested":  {"method", "deadline", "occurred_at"},
		"VerificationCodeIssued":         {"method", "code_hash", "expires_at", "resend_after", "occurred_at"},
		"VerificationCodeFailed":         {"attempts_left", "occurred_at"},
		"VerificationDeadlineExtended":   {"new_deadline", "occurred_at"},
		"IdentityVerified":               {"method", "by", "occurred_at"},
		"IdentityVerificationRejected":   {"reasons", "comment", "by", "occurred_at"},
		"IdentityVerificationReset":      {"reason", "occurred_at"},
		"SnilsLinked":                    {"snils", "occurred_at"},
		"SnilsRejected":                  {"snils_masked", "reason", "occurred_at"},
		"InnLinked":                      {"inn", "occurred_at"},
		"InnRejected":                    {"inn_masked", "reason", "occurred_at"},
		"NotificationPreferencesChanged": {"email", "sms", "push", "frequency", "disabled_all", "occurred_at"},
		"SignatureChallengeIssued":       {"challenge", "expires_at", "occurred_at"},
		"IdentityVerificationCancelled":  {"method", "reason", "occurred_at"},
		"VerificationMethodLocked":       {"method", "until", "occurred_at"},
		"SnilsUnlinked":                  {"snils_masked", "reason", "occurred_at"},
		"InnUnlinked":                    {"inn_masked", "reason", "occurred_at"},
		"AccountLevelLowered":            {"from", "to", "reason", "occurred_at"},
	}
	samples := identitySampleEvents()
	require.Len(t, samples, len(want))
	for _, e := range samples {
		_, _, data, err := EncodeEvent(e)
		require.NoError(t, err, e.EventType())
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		for _, k := range want[e.EventType()] {
			assert.Contains(t, m, k, e.EventType())
		}
	}
}

func TestIdentityEvents_DatesAndScansHaveTheirWireForms(t *testing.T) {
	_, _, data, err := EncodeEvent(identitySampleEvents()[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	assert.Equal(t, "2026-08-31", m["expires_at"])
	assert.Equal(t, "student", m["visa_kind"])
	scan := m["scans"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{
		"blob_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "size": float64(123456), "type": "jpeg",
		"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}, scan)

	_, _, data, err = EncodeEvent(SnilsLinked{Snils: validSnils, OccurredAt: evT0})
	require.NoError(t, err)
	assert.Contains(t, string(data), `"snils":"112-233-445 95"`, "events keep the full number; views mask it")
}

func TestIdentityEvents_DecodeRefusesUnknownMethod(t *testing.T) {
	_, err := DecodeEvent("IdentityVerificationRequested", 1, []byte(`{"method":"telepathy"}`))
	assert.Error(t, err)
}

func TestIdentityEvents_RoundTripThroughTheRegistry(t *testing.T) {
	for _, e := range identitySampleEvents() {
		t.Run(e.EventType(), func(t *testing.T) {
			typ, v, data, err := EncodeEvent(e)
			require.NoError(t, err)
			assert.Equal(t, e.EventType(), typ)
			assert.Equal(t, 1, v)
			assert.Contains(t, string(data), `"occurred_at":"2026-03-02T09:30:00.123456789Z"`)
			back, err := DecodeEvent(typ, v, data)
			require.NoError(t, err)
			assert.Equal(t, e, back)
			assert.Equal(t, evT0, EventTime(back))
		})
	}
}
