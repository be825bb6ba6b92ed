package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServices_CatalogIsPublicInRussianAndEnglish(t *testing.T) {
	ts := startServer(t, nil)
	a := ts.do("GET", "/v1/services", "", nil)
	require.Equal(t, 200, a.status)
	items := a.body["items"].([]any)
	codes := map[string]map[string]any{}
	for _, it := range items {
		m := it.(map[string]any)
		codes[m["code"].(string)] = m
		name := m["name"].(map[string]any)
		assert.NotEmpty(t, name["ru"], m["code"])
		assert.NotEmpty(t, name["en"], m["code"])
	}
	for _, c := range []string{"arrival_notification", "stay_registration", "residence_registration", "patent",
		"work_permit", "rvp", "vnzh", "inn_issue", "snils_issue", "certificate"} {
		require.Contains(t, codes, c)
	}
	assert.Equal(t, "confirmed", codes["arrival_notification"]["level"])
	assert.Equal(t, "simplified", codes["certificate"]["level"])
	one := ts.do("GET", "/v1/services/patent", "", nil)
	assert.Equal(t, 200, one.status)
	assert.Equal(t, 404, ts.do("GET", "/v1/services/nope", "", nil).status)
}
