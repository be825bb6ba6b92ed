// Package tickets signs and checks the references that appointment tickets
// carry in their QR codes (Ed25519), and draws the codes.
package tickets

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/kabinet/kabinet/platform/secrets"
)

// TicketKeyFile is the embedded ticket-signing secret's name in the data dir.
const TicketKeyFile = "ticket.key"

// ticketPrefix starts every signed ticket reference (and names its version).
const ticketPrefix = "KBT1"

// TicketRef is what an electronic ticket's QR code says: which visit, at
// which office and slot, under which ticket number.
type TicketRef struct {
	AppointmentID uuid.UUID `json:"a"`
	Ticket        string    `json:"t"`
	OfficeID      string    `json:"o"`
	Slot          int64     `json:"s"` // Unix seconds
}

// Tickets signs ticket references with Ed25519, so an office checks a QR
// code with the published public key alone (or the verification route):
// nobody without the private key can make a reference that verifies.
type Tickets struct {
	priv ed25519.PrivateKey
}

// ErrTicketInvalid is a reference that is malformed or not signed by us.
var ErrTicketInvalid = errors.New("ticket reference is not valid")

// LoadTickets derives the signing key from KABINET_TICKET_KEY (envValue)
// when set, so that every instance signs alike, else from the data dir's
// ticket.key, created on first use.
func LoadTickets(envValue, dataDir string) (*Tickets, error) {
	secret, err := secrets.FromEnvOrFile("KABINET_TICKET_KEY", envValue, filepath.Join(dataDir, TicketKeyFile), "ticket key", secrets.Size)
	if err != nil {
		return nil, err
	}
	seed := sha256.Sum256(append([]byte("kabinet ticket key\x00"), secret...))
	return &Tickets{priv: ed25519.NewKeyFromSeed(seed[:])}, nil
}

// PublicKey returns the verification key, standard base64.
func (t *Tickets) PublicKey() string {
	return base64.StdEncoding.EncodeToString(t.priv.Public().(ed25519.PublicKey))
}

// Reference returns the signed reference of ref:
// "KBT1.<payload>.<signature>", both base64url.
func (t *Tickets) Reference(ref TicketRef) string {
	payload, _ := json.Marshal(ref)
	body := ticketPrefix + "." + base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(t.priv, []byte(body)))
}

// Verify checks ref's signature and returns what it names.
func (t *Tickets) Verify(ref string) (TicketRef, error) {
	parts := strings.Split(strings.TrimSpace(ref), ".")
	if len(parts) != 3 || parts[0] != ticketPrefix {
		return TicketRef{}, ErrTicketInvalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !ed25519.Verify(t.priv.Public().(ed25519.PublicKey), []byte(parts[0]+"."+parts[1]), sig) {
		return TicketRef{}, ErrTicketInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var out TicketRef
	if err != nil || json.Unmarshal(payload, &out) != nil {
		return TicketRef{}, ErrTicketInvalid
	}
	return out, nil
}

// SlotTime is the reference's slot start.
func (r TicketRef) SlotTime() time.Time { return time.Unix(r.Slot, 0).UTC() }

// QR returns a PNG of the QR code that carries ref.
func (t *Tickets) QR(ref string) ([]byte, error) {
	png, err := qrcode.Encode(ref, qrcode.Medium, 320)
	if err != nil {
		return nil, fmt.Errorf("encode ticket QR: %w", err)
	}
	return png, nil
}
