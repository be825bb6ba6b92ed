package domain

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// formToday is a Wednesday; seven working days before it is Monday 6 April.
var formToday = MustDate(2026, time.April, 15)

func hostAddress() map[string]any {
	return map[string]any{"region": "Москва", "city": "Москва", "street": "ул. Тверская", "house": "7", "flat": "12", "postal_code": "125009"}
}

// validForms holds one valid form per service, as JSON would decode it.
func validForms() map[string]map[string]any {
	return map[string]map[string]any{
		"certificate": {"kind": "right_to_work", "purpose": "Для работодателя"},
		"arrival_notification": {"arrival_date": "2026-04-10", "host_address": hostAddress(),
			"stay_until": "2026-07-10", "purpose": "work"},
		"stay_registration": {"basis": "extension", "address": hostAddress(), "host_type": "individual",
			"host_name": "Иванов Иван Иванович", "stay_from": "2026-04-01", "stay_until": "2026-10-01", "purpose": "work"},
		"residence_registration": {"address": hostAddress(), "move_in_date": "01.04.2026", "housing": "tenant",
			"owner_name": "Петров Пётр", "owner_consent": true},
		"patent": {"region": "Москва", "profession": "Повар", "employer_type": "organization",
			"employer_name": "ООО «Ромашка»", "employer_inn": "7707083893", "period_months": float64(6), "arrival_date": "2026-04-02"},
		"work_permit": {"employer_name": "ООО «Ромашка»", "employer_inn": "7707083893", "work_address": hostAddress(),
			"position": "Инженер", "contract_start": "2026-05-01", "contract_end": "2027-04-30", "highly_qualified": false},
		"rvp": {"basis": "quota", "address": hostAddress(), "marital_status": "married", "occupation": "Инженер",
			"criminal_record": false, "language_certificate": true},
		"vnzh": {"basis": "rvp_holder", "address": hostAddress(), "marital_status": "single",
			"income_source": "employment", "monthly_income": float64(90000), "criminal_record": false},
		"inn_issue":   {"purpose": "employment", "address": hostAddress(), "paper_copy": false},
		"snils_issue": {"address": hostAddress(), "delivery": "electronic"},
	}
}

func service(t *testing.T, code string) Service {
	t.Helper()
	s, ok := ServiceByCode(code)
	require.True(t, ok, code)
	return s
}

func TestValidateForm_EveryServiceAcceptsItsFixture(t *testing.T) {
	forms := validForms()
	require.Len(t, forms, len(Catalog()))
	for _, s := range Catalog() {
		assert.Empty(t, ValidateForm(s, forms[s.Code], formToday, NewRussianCalendar()), s.Code)
	}
}

func TestValidateForm_RulesOfTheArrivalNotification(t *testing.T) {
	svc := service(t, ServiceArrivalNotification)
	tests := []struct {
		name  string
		edit  func(f map[string]any)
		field string
		code  string
	}{
		{"unknown field", func(f map[string]any) { f["visa_type"] = "work" }, "visa_type", CodeUnknownField},
		{"unknown address part", func(f map[string]any) { f["host_address"].(map[string]any)["building"] = "2" }, "host_address.building", CodeUnknownField},
		{"missing arrival date", func(f map[string]any) { delete(f, "arrival_date") }, "arrival_date", CodeRequired},
		{"null purpose", func(f map[string]any) { f["purpose"] = nil }, "purpose", CodeRequired},
		{"blank purpose", func(f map[string]any) { f["purpose"] = "  " }, "purpose", CodeRequired},
		{"missing postal code", func(f map[string]any) { delete(f["host_address"].(map[string]any), "postal_code") }, "host_address.postal_code", CodeRequired},
		{"postal code of five digits", func(f map[string]any) { f["host_address"].(map[string]any)["postal_code"] = "12500" }, "host_address.postal_code", CodePattern},
		{"postal code as a number", func(f map[string]any) { f["host_address"].(map[string]any)["postal_code"] = float64(125009) }, "host_address.postal_code", CodeFieldType},
		{"address as a string", func(f map[string]any) { f["host_address"] = "Москва, Тверская 7" }, "host_address", CodeFieldType},
		{"purpose not in the list", func(f map[string]any) { f["purpose"] = "smuggling" }, "purpose", CodeEnum},
		{"purpose as a list", func(f map[string]any) { f["purpose"] = []any{"work"} }, "purpose", CodeFieldType},
		{"date as a number", func(f map[string]any) { f["arrival_date"] = float64(20260410) }, "arrival_date", CodeFieldType},
		{"impossible date", func(f map[string]any) { f["arrival_date"] = "2026-02-30" }, "arrival_date", CodeDateInvalid},
		{"arrival tomorrow", func(f map[string]any) { f["arrival_date"] = "2026-04-16" }, "arrival_date", CodeDateInFuture},
		{"arrival eight working days ago", func(f map[string]any) { f["arrival_date"] = "2026-04-03" }, "arrival_date", CodeNotificationLate},
		{"stay until yesterday", func(f map[string]any) { f["stay_until"] = "2026-04-14" }, "stay_until", CodeDateInPast},
		{"stay ends before arrival", func(f map[string]any) { f["arrival_date"], f["stay_until"] = "2026-04-15", "2026-04-15" }, "stay_until", CodeDateOrder},
		{"street too long", func(f map[string]any) { f["host_address"].(map[string]any)["street"] = strings.Repeat("у", 201) }, "host_address.street", CodeTooLong},
		{"line break in a one-line field", func(f map[string]any) { f["host_address"].(map[string]any)["city"] = "Мос\nква" }, "host_address.city", CodeFieldType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := validForms()[ServiceArrivalNotification]
			tt.edit(form)
			errs := ValidateForm(svc, form, formToday, NewRussianCalendar())
			require.Len(t, errs, 1, "%v", errs)
			assert.Equal(t, tt.field, errs[0].Field)
			assert.Equal(t, tt.code, errs[0].Code)
			assert.NotEmpty(t, errs[0].Message)
		})
	}
}

func TestValidateForm_SevenWorkingDaysSkipHolidays(t *testing.T) {
	svc := service(t, ServiceArrivalNotification)
	today := MustDate(2026, time.May, 13) // 1 and 11 May are days off
	for arrival, late := range map[string]bool{"2026-04-30": false, "30.04.2026": false, "2026-04-29": true} {
		form := validForms()[ServiceArrivalNotification]
		form["arrival_date"] = arrival
		errs := ValidateForm(svc, form, today, NewRussianCalendar())
		if late {
			require.Len(t, errs, 1)
			assert.Equal(t, CodeNotificationLate, errs[0].Code)
		} else {
			assert.Empty(t, errs, arrival)
		}
	}
}

func TestValidateForm_OptionalFieldsMayBeAbsentOrNull(t *testing.T) {
	form := validForms()[ServiceArrivalNotification]
	delete(form["host_address"].(map[string]any), "flat")
	assert.Empty(t, ValidateForm(service(t, ServiceArrivalNotification), form, formToday, nil))
	wp := validForms()[ServiceWorkPermit]
	wp["contract_end"], wp["highly_qualified"] = nil, nil
	assert.Empty(t, ValidateForm(service(t, ServiceWorkPermit), wp, formToday, nil))
}

func TestValidateForm_ReportsEveryProblemUnknownFieldsFirst(t *testing.T) {
	errs := ValidateForm(service(t, ServiceCertificate), map[string]any{"zeta": 1, "alpha": true, "kind": "passport"}, formToday, nil)
	var got []string
	for _, e := range errs {
		got = append(got, e.Field+":"+e.Code)
	}
	assert.Equal(t, []string{"alpha:unknown_field", "zeta:unknown_field", "kind:enum", "purpose:required"}, got)
}

func TestValidateForm_EmptyAddressNamesEachRequiredPart(t *testing.T) {
	form := validForms()[ServiceArrivalNotification]
	form["host_address"] = map[string]any{}
	var got []string
	for _, e := range ValidateForm(service(t, ServiceArrivalNotification), form, formToday, nil) {
		got = append(got, e.Field+":"+e.Code)
	}
	assert.Equal(t, []string{"host_address.region:required", "host_address.city:required",
		"host_address.street:required", "host_address.house:required", "host_address.postal_code:required"}, got)
}

func TestValidateForm_NilFormIsAnEmptyOne(t *testing.T) {
	errs := ValidateForm(service(t, ServiceCertificate), nil, formToday, nil)
	require.Len(t, errs, 2)
	assert.Equal(t, CodeRequired, errs[0].Code)
}

func TestValidateForm_Integers(t *testing.T) {
	svc := service(t, ServicePatent)
	tests := map[string]struct {
		v    any
		code string
	}{
		"float64 from JSON": {float64(12), ""},
		"Go int":            {3, ""},
		"json.Number":       {json.Number("1"), ""},
		"fraction":          {6.5, CodeFieldType},
		"string":            {"6", CodeFieldType},
		"bool":              {true, CodeFieldType},
		"zero":              {float64(0), CodeOutOfRange},
		"thirteen":          {float64(13), CodeOutOfRange},
		"huge":              {1e300, CodeOutOfRange},
		"bad json.Number":   {json.Number("x"), CodeFieldType},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			form := validForms()[ServicePatent]
			form["period_months"] = tt.v
			errs := ValidateForm(svc, form, formToday, nil)
			if tt.code == "" {
				assert.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1)
			assert.Equal(t, "period_months", errs[0].Field)
			assert.Equal(t, tt.code, errs[0].Code)
		})
	}
}

func TestValidateForm_PatternsAreAnchored(t *testing.T) {
	svc := service(t, ServiceWorkPermit)
	for inn, ok := range map[string]bool{"7707083893": true, "500100732259": true, "77070838931": false, "x7707083893": false} {
		form := validForms()[ServiceWorkPermit]
		form["employer_inn"] = inn
		errs := ValidateForm(svc, form, formToday, nil)
		assert.Equal(t, ok, len(errs) == 0, inn)
	}
}

func TestValidateForm_BoolsAreBools(t *testing.T) {
	form := validForms()[ServiceResidenceRegistration]
	form["owner_consent"] = "yes"
	errs := ValidateForm(service(t, ServiceResidenceRegistration), form, formToday, nil)
	require.Len(t, errs, 1)
	assert.Equal(t, FieldError{Field: "owner_consent", Code: CodeFieldType, Message: errs[0].Message}, errs[0])
}

func TestValidateForm_AnUnsupportedFieldTypeIsRefusedNotPanicked(t *testing.T) {
	svc := Service{Code: "custom", Fields: []FormField{
		{Name: "x", Type: "blob"},
		{Name: "y", Type: FieldString, Pattern: "("},
	}}
	errs := ValidateForm(svc, map[string]any{"x": 1, "y": "a"}, formToday, nil)
	require.Len(t, errs, 2)
	assert.Equal(t, CodeFieldType, errs[0].Code)
	assert.Equal(t, CodePattern, errs[1].Code)
}

func TestCheckForm_NormalisesForStorage(t *testing.T) {
	form := validForms()[ServiceResidenceRegistration]
	form["owner_name"] = "  Петров Пётр  "
	form["address"].(map[string]any)["flat"] = ""
	norm, errs := checkForm(service(t, ServiceResidenceRegistration), form, formToday, nil)
	require.Empty(t, errs)
	assert.Equal(t, "2026-04-01", norm["move_in_date"], "dates are stored in ISO form")
	assert.Equal(t, "Петров Пётр", norm["owner_name"])
	assert.NotContains(t, norm["address"], "flat", "a blank optional field is left out")

	b, err := json.Marshal(norm)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, norm, back, "a normalised form survives a JSON round trip unchanged")

	pat, _ := checkForm(service(t, ServicePatent), maps.Clone(map[string]any{
		"region": "Москва", "profession": "Повар", "employer_type": "individual", "period_months": 3, "arrival_date": "2026-04-02",
	}), formToday, nil)
	assert.Equal(t, float64(3), pat["period_months"], "numbers are stored as JSON numbers are decoded")
}

func TestValidateForm_EmployerInnChecksums(t *testing.T) {
	tests := map[string]string{ // "" passes
		"7707083893":   "",              // a company: 10 digits, check digit 3
		"7707083894":   CodeInnChecksum, // its check digit changed
		"500100732259": "",              // a sole trader: 12 digits, two check digits
		"500100732258": CodeInnChecksum, // the 12th changed
		"500100732269": CodeInnChecksum, // the 11th changed
		"0000000000":   "",              // all zeros sums to zero: checksum-valid
		"1234567890":   CodeInnChecksum,
		"77070838":     CodePattern,
	}
	for _, svcCode := range []string{ServiceWorkPermit, ServicePatent} {
		svc := service(t, svcCode)
		for inn, code := range tests {
			t.Run(svcCode+"/"+inn, func(t *testing.T) {
				form := validForms()[svcCode]
				form["employer_inn"] = inn
				errs := ValidateForm(svc, form, formToday, nil)
				if code == "" {
					assert.Empty(t, errs)
					return
				}
				require.Len(t, errs, 1)
				assert.Equal(t, "employer_inn", errs[0].Field)
				assert.Equal(t, code, errs[0].Code)
			})
		}
	}
}
