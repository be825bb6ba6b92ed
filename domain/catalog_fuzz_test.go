package domain

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzValidateForm feeds any JSON to every service's form rules: they must
// never panic, and every problem they report names a field and a code.
func FuzzValidateForm(f *testing.F) {
	for _, form := range validForms() {
		b, _ := json.Marshal(form)
		f.Add(b)
	}
	f.Add([]byte(`{"host_address":{"postal_code":1e400}}`))
	f.Add([]byte(`{"period_months":9007199254740993,"arrival_date":"0000-00-00"}`))
	cal := NewRussianCalendar()
	today := MustDate(2026, time.April, 15)
	services := Catalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		var form map[string]any
		if err := json.Unmarshal(data, &form); err != nil {
			return
		}
		for _, svc := range services {
			for _, e := range ValidateForm(svc, form, today, cal) {
				if e.Field == "" || e.Code == "" || e.Message == "" {
					t.Fatalf("%s: incomplete field error %+v for %s", svc.Code, e, data)
				}
			}
		}
	})
}
