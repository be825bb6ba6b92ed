package domain

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allServiceCodes = []string{
	"certificate", "arrival_notification", "stay_registration", "residence_registration",
	"patent", "work_permit", "rvp", "vnzh", "inn_issue", "snils_issue",
}

func TestCatalog_ListsEveryServiceOfDomainInAStableOrder(t *testing.T) {
	var codes []string
	for _, s := range Catalog() {
		codes = append(codes, s.Code)
	}
	assert.Equal(t, allServiceCodes, codes)
	assert.Equal(t, allServiceCodes, ServiceCodes())
}

func TestCatalog_EveryEntryIsWellFormed(t *testing.T) {
	types := []string{FieldString, FieldText, FieldDate, FieldEnum, FieldAddress, FieldBool, FieldInt}
	for _, s := range Catalog() {
		t.Run(s.Code, func(t *testing.T) {
			assert.NotEmpty(t, s.Name.RU)
			assert.NotEmpty(t, s.Name.EN)
			assert.NotEmpty(t, s.Description.RU)
			assert.NotEmpty(t, s.Description.EN)
			assert.False(t, s.Level.IsZero(), "a service needs at least a simplified account")
			assert.Positive(t, s.DeadlineDays)
			assert.NotEmpty(t, s.ResultType)
			assert.NotEmpty(t, s.Fields)
			if !s.Fee.IsZero() {
				assert.Equal(t, CurrencyRUB, s.Fee.Currency)
				assert.Positive(t, s.Fee.Amount)
			}
			names := map[string]bool{}
			for _, f := range s.Fields {
				assert.False(t, names[f.Name], "field %s declared twice", f.Name)
				names[f.Name] = true
				assert.Contains(t, types, f.Type, f.Name)
				assert.NotEmpty(t, f.Label.RU, f.Name)
				assert.NotEmpty(t, f.Label.EN, f.Name)
				if f.Type == FieldEnum {
					require.NotEmpty(t, f.Enum, f.Name)
					for _, v := range f.Enum {
						assert.NotEmpty(t, f.EnumLabels[v].RU, "%s=%s has no caption", f.Name, v)
					}
				}
				if f.Pattern != "" {
					_, err := anchored(f.Pattern)
					assert.NoError(t, err, f.Name)
				}
				if f.After != "" {
					other, ok := s.Field(f.After)
					assert.True(t, ok && other.Type == FieldDate, "%s must follow a date field", f.Name)
				}
			}
			codes := map[string]bool{}
			for _, d := range s.Documents {
				assert.False(t, codes[d.Code], "requirement %s twice", d.Code)
				codes[d.Code] = true
				assert.NotEmpty(t, d.Label.EN)
			}
		})
	}
}

func TestCatalog_AddressPatternsCompile(t *testing.T) {
	for _, f := range AddressFields {
		if f.Pattern != "" {
			_, err := anchored(f.Pattern)
			assert.NoError(t, err, f.Name)
		}
	}
}

func TestCatalog_CertificateFormIsTheContractOne(t *testing.T) {
	s, ok := ServiceByCode(ServiceCertificate)
	require.True(t, ok)
	assert.Equal(t, LevelSimplified, s.Level)
	assert.False(t, s.RequiresStay)
	assert.Empty(t, s.Documents)
	assert.True(t, s.Fee.IsZero())
	require.Len(t, s.Fields, 2)
	assert.Equal(t, FormField{Name: "kind", Type: FieldEnum, Required: true}.Name, s.Fields[0].Name)
	assert.Equal(t, []string{"place_of_residence", "right_to_work", "stay_status", "no_violations"}, s.Fields[0].Enum)
	assert.Equal(t, s.Fields[0].Enum, s.CertificateKinds)
	assert.Equal(t, "purpose", s.Fields[1].Name)
	assert.Equal(t, FieldText, s.Fields[1].Type)
	assert.True(t, s.Fields[1].Required)
}

func TestCatalog_ArrivalNotificationFormIsTheContractOne(t *testing.T) {
	s, ok := ServiceByCode(ServiceArrivalNotification)
	require.True(t, ok)
	assert.Equal(t, LevelConfirmed, s.Level)
	assert.True(t, s.RequiresStay)
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Name+":"+f.Type)
	}
	assert.Equal(t, []string{"arrival_date:date", "host_address:address", "stay_until:date", "purpose:enum"}, names)
	purpose, _ := s.Field("purpose")
	assert.Equal(t, []string{"work", "study", "tourism", "private", "business"}, purpose.Enum)
	arrival, _ := s.Field("arrival_date")
	assert.True(t, arrival.NotFuture)
	assert.Equal(t, 7, arrival.MaxWorkingDaysAgo)
	assert.Equal(t, CodeNotificationLate, arrival.LateCode)
	var docs []string
	for _, d := range s.Documents {
		docs = append(docs, d.Code)
	}
	assert.Equal(t, []string{"identity_document", "migration_card"}, docs)
	var addr []string
	for _, f := range AddressFields {
		addr = append(addr, f.Name)
		assert.Equal(t, f.Name != "flat", f.Required, f.Name)
	}
	assert.Equal(t, []string{"region", "city", "street", "house", "flat", "postal_code"}, addr)
}

func TestCatalog_FeesAndDeadlines(t *testing.T) {
	want := map[string][2]int64{ // fee in roubles, deadline in working days
		"certificate": {0, 5}, "arrival_notification": {0, 3}, "stay_registration": {1000, 3},
		"residence_registration": {1000, 6}, "patent": {4200, 10}, "work_permit": {4200, 15},
		"rvp": {1920, 40}, "vnzh": {6000, 80}, "inn_issue": {0, 5}, "snils_issue": {0, 10},
	}
	for _, s := range Catalog() {
		assert.Equal(t, want[s.Code], [2]int64{s.Fee.Amount / 100, int64(s.DeadlineDays)}, s.Code)
	}
}

func TestServiceByCode_UnknownCode(t *testing.T) {
	_, ok := ServiceByCode("visa_extension")
	assert.False(t, ok)
}

func TestCatalog_CopiesShareNothingWithTheCatalog(t *testing.T) {
	s, _ := ServiceByCode(ServiceArrivalNotification)
	s.Fields[3].Enum[0] = "smuggling"
	s.Documents[1].Types[0] = "library_card"
	s.Fields = append(s.Fields[:0], FormField{Name: "x"})
	again, _ := ServiceByCode(ServiceArrivalNotification)
	purpose, _ := again.Field("purpose")
	assert.Equal(t, "work", purpose.Enum[0])
	assert.Equal(t, DocMigrationCard, again.Documents[1].Types[0])
	assert.Len(t, again.Fields, 4)
}

func TestAvailableServices_ByLevelAndStay(t *testing.T) {
	migration := []string{"arrival_notification", "stay_registration", "residence_registration", "patent", "work_permit", "rvp", "vnzh"}
	tests := []struct {
		name  string
		level Level
		stay  bool
		want  []string
	}{
		{"no level", LevelNone, true, []string{}},
		{"simplified", LevelSimplified, false, []string{"certificate"}},
		{"standard without stay", LevelStandard, false, []string{"certificate", "snils_issue"}},
		{"standard with stay", LevelStandard, true, []string{"certificate", "inn_issue", "snils_issue"}},
		{"confirmed without stay", LevelConfirmed, false, []string{"certificate", "snils_issue"}},
		{"confirmed with stay", LevelConfirmed, true, allServiceCodes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AvailableServices(tt.level, tt.stay)
			assert.Equal(t, tt.want, got)
			for _, code := range migration {
				assert.Equal(t, tt.level == LevelConfirmed && tt.stay, slices.Contains(got, code), code)
			}
		})
	}
}

func TestCatalog_ServesAsJSON(t *testing.T) {
	b, err := json.Marshal(Catalog())
	require.NoError(t, err)
	var back []map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back, len(allServiceCodes))
	assert.Equal(t, "certificate", back[0]["code"])
	assert.Equal(t, "simplified", back[0]["level"])
	assert.Equal(t, map[string]any{"ru": "Справка", "en": "Certificate"}, back[0]["name"])
	patent := back[slices.Index(allServiceCodes, "patent")]
	assert.Equal(t, map[string]any{"amount": float64(420000), "currency": "RUB"}, patent["fee"])
}

func TestDocumentRequirement_AResidencePermitIsOneKindWhicheverWayItWasFiled(t *testing.T) {
	for _, kind := range []string{DocumentKindIdentity, DocumentKindStayRight} {
		vnzh := DocumentState{Kind: kind, Type: DocResidencePermit, ExpiresAt: MustDate(2030, 1, 1)}
		assert.True(t, needIdentity.MetBy(vnzh), "filed as %s, it proves identity", kind)
		assert.True(t, needStayRight.MetBy(vnzh), "filed as %s, it proves the stay", kind)
		assert.True(t, needResidenceBasis.MetBy(vnzh), kind)
		assert.True(t, IsStayRightDocument(kind, DocResidencePermit), "the migration records check it (%s)", kind)
	}
	passport := DocumentState{Kind: DocumentKindIdentity, Type: DocForeignPassport}
	assert.False(t, needStayRight.MetBy(passport))
	assert.False(t, IsStayRightDocument(DocumentKindIdentity, DocForeignPassport))
	card := DocumentState{Kind: DocumentKindStayRight, Type: DocMigrationCard}
	assert.False(t, needIdentity.MetBy(card))
	assert.True(t, needMigrationCard.MetBy(card))
}
