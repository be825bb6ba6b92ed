package domain_test

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/domain"
)

// TestUpcast_ContactConfirmationRequestedV1StillConfirms stores a code
// request the way schema v1 did (bare hex hash) and shows it decodes as v2
// and the code it carried still confirms the contact.
func TestUpcast_ContactConfirmationRequestedV1StillConfirms(t *testing.T) {
	h, err := domain.NewHMACCodeHasher([]byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	id := uuid.Must(uuid.NewV7())
	a, err := domain.Register(id, domain.Registration{Consent: domain.CurrentConsent(), Surname: "Иванов", GivenNames: "Пётр", Citizenship: "UZ", Phone: "+79120000001"}, now)
	require.NoError(t, err)
	code, err := a.RequestContactCode(domain.ChannelPhone, now, rand.Reader, h)
	require.NoError(t, err)
	changes := a.Changes()

	// Write the request as v1 did: the same payload with a bare hex hash.
	typ, ver, v2, err := domain.EncodeEvent(changes[2])
	require.NoError(t, err)
	assert.Equal(t, 2, ver)
	var m map[string]any
	require.NoError(t, json.Unmarshal(v2, &m))
	require.True(t, strings.HasPrefix(m["code_hash"].(string), domain.CodeHashAlg))
	m["code_hash"] = strings.TrimPrefix(m["code_hash"].(string), domain.CodeHashAlg)
	v1, _ := json.Marshal(m)

	req, err := domain.DecodeEvent(typ, 1, v1)
	require.NoError(t, err)
	assert.Equal(t, changes[2], req, "v1 upcasts to exactly the v2 event")
	_, _, again, err := domain.EncodeEvent(req)
	require.NoError(t, err)
	assert.JSONEq(t, string(v2), string(again))

	replayed := domain.NewAccountFromHistory(id, []domain.Event{changes[0], changes[1], req})
	require.NoError(t, replayed.ConfirmContact(domain.ChannelPhone, code, now.Add(time.Minute), h))
}
