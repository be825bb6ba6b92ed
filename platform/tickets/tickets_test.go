package tickets

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sample = TicketRef{AppointmentID: uuid.MustParse("0190c000-0000-7000-8000-000000000001"), Ticket: "A-2026-000001", OfficeID: "mfc-tverskoy", Slot: 1790000000}

func TestTickets_AReferenceVerifiesWithThePublishedKeyAlone(t *testing.T) {
	tk, err := LoadTickets("", t.TempDir())
	require.NoError(t, err)
	ref := tk.Reference(sample)
	got, err := tk.Verify(ref)
	require.NoError(t, err)
	assert.Equal(t, sample, got)

	// An office holding only the public key checks it with the standard library.
	pub, err := base64.StdEncoding.DecodeString(tk.PublicKey())
	require.NoError(t, err)
	parts := strings.Split(ref, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	assert.True(t, ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig))
}

func TestTickets_ForgedOrForeignReferencesAreRefused(t *testing.T) {
	tk, err := LoadTickets("", t.TempDir())
	require.NoError(t, err)
	other, err := LoadTickets(strings.Repeat("k", 32), t.TempDir())
	require.NoError(t, err)
	ref := tk.Reference(sample)
	parts := strings.Split(ref, ".")
	changed := sample
	changed.Slot++
	forged := other.Reference(changed)
	for name, bad := range map[string]string{
		"signed with another key": other.Reference(sample),
		"payload swapped":         parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2],
		"no signature":            parts[0] + "." + parts[1],
		"another version":         "KBT2." + parts[1] + "." + parts[2],
		"garbage":                 "hello",
	} {
		_, err := tk.Verify(bad)
		assert.ErrorIs(t, err, ErrTicketInvalid, name)
	}
}

func TestTickets_TheKeyIsStableAcrossLoads(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadTickets("", dir)
	require.NoError(t, err)
	b, err := LoadTickets("", dir)
	require.NoError(t, err)
	_, err = b.Verify(a.Reference(sample))
	assert.NoError(t, err, "a restart keeps the signing key")
}

func TestTickets_QRIsAPNG(t *testing.T) {
	tk, err := LoadTickets("", t.TempDir())
	require.NoError(t, err)
	img, err := tk.QR(tk.Reference(sample))
	require.NoError(t, err)
	_, err = png.Decode(bytes.NewReader(img))
	assert.NoError(t, err)
}
