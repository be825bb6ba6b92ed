package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SignatureHeader carries the HMAC-SHA256 of an SMS webhook's raw body as
// "sha256=<hex>".
const SignatureHeader = "X-Kabinet-Signature"

// MinSMSSecretBytes is the shortest SMS gateway secret accepted.
const MinSMSSecretBytes = 32

// SMSMessage is the JSON body posted to the SMS gateway.
type SMSMessage struct {
	To     string    `json:"to"`
	Text   string    `json:"text"`
	Kind   string    `json:"kind,omitempty"`
	SentAt time.Time `json:"sent_at"` // lets the gateway refuse stale replays
}

// SMSGateway posts SMS notifications to an HTTP gateway as signed JSON.
type SMSGateway struct {
	URL    string
	Secret []byte
	Client *http.Client // nil: a client with a 10 s timeout
	Now    func() time.Time
}

// NewSMSGateway checks the URL and the secret.
func NewSMSGateway(url string, secret []byte) (*SMSGateway, error) {
	if url == "" {
		return nil, fmt.Errorf("sms gateway: no URL")
	}
	if len(secret) < MinSMSSecretBytes {
		return nil, fmt.Errorf("sms gateway: the secret needs at least %d bytes", MinSMSSecretBytes)
	}
	return &SMSGateway{URL: url, Secret: secret, Client: &http.Client{Timeout: 10 * time.Second}, Now: time.Now}, nil
}

// Sign is the signature header value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Notify posts n; 2xx is delivered, 408, 429 and 5xx are worth another
// attempt, any other answer is permanent.
func (g *SMSGateway) Notify(ctx context.Context, n Notification) error {
	if n.To == "" {
		return Permanent(fmt.Errorf("sms: notification %s has no number", n.Kind))
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	body, err := json.Marshal(SMSMessage{To: n.To, Text: n.Text, Kind: n.Kind, SentAt: now().UTC()})
	if err != nil {
		return fmt.Errorf("sms: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("sms: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(g.Secret, body))
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: post: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch s := resp.StatusCode; {
	case s/100 == 2:
		return nil
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
		return fmt.Errorf("sms: gateway answered %s", resp.Status)
	default:
		return Permanent(fmt.Errorf("sms: gateway refused: %s", resp.Status))
	}
}
