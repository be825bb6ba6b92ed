package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeriveLevel_OverEventSequences(t *testing.T) {
	reg := AccountRegistered{AccountID: acctID, Surname: "Каримов", GivenNames: "Алишер", Citizenship: "UZ", Phone: "+79161234567", OccurredAt: acctT0}
	contact := ContactConfirmed{Channel: ChannelPhone, Value: "+79161234567", OccurredAt: acctT0}
	pd := PersonalDataProvided{PersonalData: PersonalData{Surname: "Каримов", GivenNames: "Алишер", BirthDate: MustDate(1990, 3, 15)}, OccurredAt: acctT0}
	passport := DocumentAdded{DocumentID: passportID, Kind: DocumentKindIdentity, Type: DocForeignPassport, ExpiresAt: MustDate(2030, 1, 9), OccurredAt: acctT0}
	permit := DocumentAdded{DocumentID: otherDocID, Kind: DocumentKindIdentity, Type: DocResidencePermit, ExpiresAt: MustDate(2031, 1, 1), OccurredAt: acctT0}
	patent := DocumentAdded{DocumentID: stayID, Kind: DocumentKindStayRight, Type: DocTemporaryResidencePermit, ExpiresAt: MustDate(2026, 12, 31), OccurredAt: acctT0}
	visa := DocumentAdded{DocumentID: otherDocID, Kind: DocumentKindStayRight, Type: DocVisa, VisaKind: VisaStudent, ExpiresAt: MustDate(2027, 12, 31), OccurredAt: acctT0}
	snils := SnilsLinked{Snils: validSnils, OccurredAt: acctT0}
	snilsNo := SnilsRejected{SnilsMasked: validSnils.Masked(), Reason: ReasonRegistryMismatch, OccurredAt: acctT0}
	request := IdentityVerificationRequested{Method: MethodVideo, Deadline: MustDate(2026, 4, 8), OccurredAt: acctT0}
	verified := IdentityVerified{Method: MethodVideo, By: operatorID, OccurredAt: acctT0}
	rejected := IdentityVerificationRejected{Reasons: []string{ReasonDataMismatch}, By: operatorID, OccurredAt: acctT0}
	reset := IdentityVerificationReset{Reason: ReasonIdentityDataChanged, OccurredAt: acctT0}
	stayGone := DocumentExpired{DocumentID: stayID, OccurredAt: acctT0}
	passportGone := DocumentExpired{DocumentID: passportID, OccurredAt: acctT0}

	standard := []Event{reg, contact, pd, passport, snils}
	confirmed := slices.Concat(standard, []Event{patent, request, verified})
	tests := []struct {
		name   string
		events []Event
		want   Level
	}{
		{"no events", nil, LevelNone},
		{"registered, no confirmed contact", []Event{reg}, LevelNone},
		{"a confirmed contact is simplified", []Event{reg, contact}, LevelSimplified},
		{"personal data alone stays simplified", []Event{reg, contact, pd}, LevelSimplified},
		{"no SNILS stays simplified", []Event{reg, contact, pd, passport}, LevelSimplified},
		{"a rejected SNILS is no SNILS", []Event{reg, contact, pd, passport, snilsNo}, LevelSimplified},
		{"no personal data stays simplified", []Event{reg, contact, passport, snils}, LevelSimplified},
		{"a stay right is no identity document", []Event{reg, contact, pd, patent, snils}, LevelSimplified},
		{"personal data, identity document and SNILS are standard", standard, LevelStandard},
		{"a stay right without verification stays standard", append(slices.Clone(standard), patent), LevelStandard},
		{"a pending verification stays standard", slices.Concat(standard, []Event{patent, request}), LevelStandard},
		{"verified without a stay right stays standard", slices.Concat(standard, []Event{request, verified}), LevelStandard},
		{"verified with a stay right is confirmed", confirmed, LevelConfirmed},
		{"a stay right added after verification confirms", slices.Concat(standard, []Event{request, verified, patent}), LevelConfirmed},
		{"the last stay right expiring drops to standard", append(slices.Clone(confirmed), stayGone), LevelStandard},
		{"another stay right keeps it confirmed", slices.Concat(confirmed, []Event{visa, stayGone}), LevelConfirmed},
		{"a new stay right restores it", slices.Concat(confirmed, []Event{stayGone, visa}), LevelConfirmed},
		{"the identity document expiring drops to simplified", append(slices.Clone(confirmed), passportGone), LevelSimplified},
		{"an identity edit drops to standard", append(slices.Clone(confirmed), reset), LevelStandard},
		{"re-verified after the reset", slices.Concat(confirmed, []Event{reset, request, verified}), LevelConfirmed},
		{"a rejection stays standard", slices.Concat(standard, []Event{patent, request, rejected}), LevelStandard},
		{"a residence permit proves identity and stay", []Event{reg, contact, pd, permit, snils, request, verified}, LevelConfirmed},
		{"verification without a confirmed contact is nothing", []Event{reg, pd, passport, snils, patent, request, verified}, LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAccountFromHistory(acctID, tt.events)
			assert.Equal(t, tt.want, a.Level())
			assert.Equal(t, tt.want, DeriveLevel(a.State()))
		})
	}
}

func TestDeriveLevel_ConfirmedOnlyWithAStayRightOfSection1(t *testing.T) {
	doc := func(n int, kind, typ, visaKind string) DocumentAdded {
		return DocumentAdded{DocumentID: uuid.MustParse(fmt.Sprintf("44444444-4444-4444-8444-%012d", n)), Kind: kind, Type: typ,
			VisaKind: visaKind, ExpiresAt: MustDate(2030, 1, 1), OccurredAt: acctT0}
	}
	verified := []Event{
		AccountRegistered{AccountID: acctID, Surname: "Каримов", GivenNames: "Алишер", Citizenship: "UZ", Phone: "+79161234567", OccurredAt: acctT0},
		ContactConfirmed{Channel: ChannelPhone, Value: "+79161234567", OccurredAt: acctT0},
		PersonalDataProvided{PersonalData: PersonalData{Surname: "Каримов", GivenNames: "Алишер", BirthDate: MustDate(1990, 3, 15)}, OccurredAt: acctT0},
		DocumentAdded{DocumentID: passportID, Kind: DocumentKindIdentity, Type: DocForeignPassport, ExpiresAt: MustDate(2030, 1, 9), OccurredAt: acctT0},
		SnilsLinked{Snils: validSnils, OccurredAt: acctT0},
		IdentityVerified{Method: MethodVideo, By: operatorID, OccurredAt: acctT0},
	}
	st := DocumentKindStayRight
	tests := []struct {
		name string
		docs []DocumentAdded
		want Level
	}{
		{"a residence permit", []DocumentAdded{doc(1, st, DocResidencePermit, "")}, LevelConfirmed},
		{"a temporary residence permit", []DocumentAdded{doc(1, st, DocTemporaryResidencePermit, "")}, LevelConfirmed},
		{"refugee status", []DocumentAdded{doc(1, DocumentKindIdentity, DocRefugeeCertificate, "")}, LevelConfirmed},
		{"temporary asylum", []DocumentAdded{doc(1, st, DocTemporaryAsylum, "")}, LevelConfirmed},
		{"temporary asylum filed as identity", []DocumentAdded{doc(1, DocumentKindIdentity, DocTemporaryAsylum, "")}, LevelConfirmed},
		{"a student visa", []DocumentAdded{doc(1, st, DocVisa, VisaStudent)}, LevelConfirmed},
		{"a worker: migration card and patent", []DocumentAdded{doc(1, st, DocMigrationCard, ""), doc(2, st, DocPatent, "")}, LevelConfirmed},
		{"a worker: migration card and work permit", []DocumentAdded{doc(1, st, DocMigrationCard, ""), doc(2, st, DocWorkPermit, "")}, LevelConfirmed},
		{"a tourist visa is not enough", []DocumentAdded{doc(1, st, DocVisa, VisaShort)}, LevelStandard},
		{"a stay registration alone is not enough", []DocumentAdded{doc(1, st, DocStayRegistration, "")}, LevelStandard},
		{"a tourist's visa, card and registration are not enough", []DocumentAdded{
			doc(1, st, DocVisa, VisaShort), doc(2, st, DocMigrationCard, ""), doc(3, st, DocStayRegistration, "")}, LevelStandard},
		{"a migration card alone is not enough", []DocumentAdded{doc(1, st, DocMigrationCard, "")}, LevelStandard},
		{"a patent without a migration card is not enough", []DocumentAdded{doc(1, st, DocPatent, "")}, LevelStandard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := slices.Clone(verified)
			for _, d := range tt.docs {
				events = append(events, d)
			}
			a := NewAccountFromHistory(acctID, events)
			assert.Equal(t, tt.want, a.Level())
			assert.Equal(t, tt.want == LevelConfirmed, a.HasConfirmableStay(MustDate(2026, 6, 1)))
		})
	}
}

// fullIdentityFlow drives an account through every identity decision.
func fullIdentityFlow(t *testing.T) *ForeignerAccount {
	t.Helper()
	a := confirmedAccount(t)
	at := func(h int) time.Time { return acctT0.Add(time.Duration(h) * time.Hour) }
	require.NoError(t, a.LinkInn(validInn, true, at(2)))
	require.NoError(t, a.SetNotificationPreferences(NotificationPreferences{Email: true, Push: true, Frequency: FrequencyDaily}, at(2)))
	in := validPersonalData()
	in.Latin = &LatinName{Surname: "KARIMOV", GivenNames: "ALISHER"}
	in.AddressAbroad = "Tashkent"
	require.NoError(t, a.ProvidePersonalData(in, idToday, at(3)))
	_, err := a.RequestIdentityVerification(MethodBank, at(4), idCal, draws(verifyDraws), hasher)
	require.NoError(t, err)
	require.Error(t, a.EnterVerificationCode("000000", at(4), hasher))
	require.NoError(t, a.ExtendVerificationDeadline(at(5), idCal))
	require.NoError(t, a.EnterVerificationCode(verifyCode, at(4).Add(time.Minute), hasher))
	visa := DocumentInput{Kind: DocumentKindStayRight, Type: DocVisa, VisaKind: VisaStudent, Number: "V123",
		IssuedAt: "2026-01-01", ExpiresAt: "2027-06-30", Issuer: "Consulate"}
	tr := sampleScan
	require.NoError(t, a.AddDocument(visa, []ScanRef{sampleScan, sampleScan}, &tr, idToday, otherDocID, at(6)))
	require.NoError(t, a.ExpireDocuments(MustDate(2027, 1, 1), at(7)))
	return a
}

func TestIdentityState_ReplayEqualsTheLiveState(t *testing.T) {
	a := fullIdentityFlow(t)
	live := a.State()
	reg, err := Register(acctID, validRegistration(), acctT0)
	require.NoError(t, err)
	history := slices.Concat(reg.Changes(), a.Changes()) // registered() loads the registration as saved
	assert.Equal(t, live, NewAccountFromHistory(acctID, history).State())

	// Through the store's encoding too: what is saved is what is replayed.
	var stored []Event
	for _, e := range history {
		typ, v, data, err := EncodeEvent(e)
		require.NoError(t, err)
		back, err := DecodeEvent(typ, v, data)
		require.NoError(t, err)
		stored = append(stored, back)
	}
	replayed := NewAccountFromHistory(acctID, stored).State()
	assert.Equal(t, live, replayed)
	assert.Equal(t, LevelConfirmed, replayed.Level, "the student visa carries the stay once the residence permit expired")
}

func TestIdentityState_JSONSnapshot(t *testing.T) {
	s := fullIdentityFlow(t).State()
	b, err := json.Marshal(s.IdentityState)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))

	assert.Equal(t, "112-233-445 95", m["snils"], "the owner's snapshot holds the full number")
	assert.Equal(t, "500100732259", m["inn"])
	assert.Equal(t, true, m["stay_valid"])
	assert.Equal(t, map[string]any{"email": true, "sms": false, "push": true, "frequency": "daily", "disabled_all": false}, m["notification_preferences"])
	v := m["verification"].(map[string]any)
	assert.Equal(t, "verified", v["status"])
	assert.Equal(t, "bank", v["method"])
	assert.Equal(t, "2026-04-15", v["deadline"])
	assert.Equal(t, true, v["extended"])
	assert.NotContains(t, string(b), "code_hash")
	assert.NotContains(t, v, "pending_code_expires_at")

	docs := m["documents"].([]any)
	require.Len(t, docs, 3)
	patent := docs[1].(map[string]any)
	assert.Equal(t, stayID.String(), patent["document_id"])
	assert.Equal(t, true, patent["expired"])
	assert.Equal(t, "2026-12-31", patent["expires_at"])
	assert.Equal(t, sampleScan.BlobID, patent["scans"].([]any)[0].(map[string]any)["blob_id"])
	pd := m["personal_data"].(map[string]any)
	assert.Equal(t, map[string]any{"surname": "KARIMOV", "given_names": "ALISHER", "patronymic": "Rustamovich"}, pd["latin"])
	assert.Equal(t, "1990-03-15", pd["birth_date"])
}

func TestIdentityState_EmptyAccountHasNoneButDefaults(t *testing.T) {
	s := NewAccountFromHistory(acctID, nil).State()
	assert.Nil(t, s.PersonalData)
	assert.Equal(t, []DocumentSnapshot{}, s.Documents)
	assert.Equal(t, VerificationNone, s.Verification.Status)
	assert.True(t, s.Snils.IsZero())
	assert.Equal(t, DefaultNotificationPreferences(), s.NotificationPreferences)
}
