package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// smsReceiver is an SMS gateway that verifies each webhook's signature and
// keeps the texts; while failing is set it answers 503.
type smsReceiver struct {
	secret  []byte
	mu      sync.Mutex
	texts   []string
	failing bool
}

func (s *smsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, s.secret)
	m.Write(body)
	if r.Header.Get("X-Kabinet-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var msg struct{ Text string }
	json.Unmarshal(body, &msg)
	s.texts = append(s.texts, msg.Text)
	w.WriteHeader(http.StatusAccepted)
}

func (s *smsReceiver) lastCode(t *testing.T) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.texts)
	return sixDigits.FindString(s.texts[len(s.texts)-1])
}

// smtpBox is a real SMTP server (go-smtp) keeping each message's data.
type smtpBox struct {
	mu   sync.Mutex
	data []string
}

func (b *smtpBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

type smtpSession struct{ b *smtpBox }

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	d, err := io.ReadAll(r)
	s.b.mu.Lock()
	s.b.data = append(s.b.data, string(d))
	s.b.mu.Unlock()
	return err
}

func startSMTPBox(t *testing.T) (*smtpBox, string) {
	b := &smtpBox{}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b, ln.Addr().String()
}

// TestDelivery_CodesGoBySMTPAndSMSGatewayAndFailuresAreDeadLettered runs
// the service in production mode with both adapters: each code arrives
// through its channel and confirms the contact, none is written to the
// outbox file, and a code the gateway never took is in the dead-letter
// list that `kabinet delivery dead-letters` prints, without the code.
func TestDelivery_CodesGoBySMTPAndSMSGatewayAndFailuresAreDeadLettered(t *testing.T) {
	box, smtpAddr := startSMTPBox(t)
	sms := &smsReceiver{secret: []byte("an-sms-gateway-secret-of-32-bytes-or-more")}
	gw := httptest.NewServer(sms)
	defer gw.Close()
	t.Setenv("KABINET_SMTP_ADDR", smtpAddr)
	t.Setenv("KABINET_SMTP_TLS", "none")
	t.Setenv("KABINET_SMTP_FROM", "noreply@kabinet.example")
	t.Setenv("KABINET_SMS_URL", gw.URL)
	t.Setenv("KABINET_SMS_SECRET", string(sms.secret))
	ts := startServer(t, map[string]string{"env": "production", "delivery-backoff": "1ms"})

	reg := ts.do("POST", "/v1/accounts", "", map[string]any{"surname": "Ким", "given_names": "Анна",
		"citizenship": "KZ", "phone": "+79123450001", "email": "anna.kim@example.com", "consent": consent})
	require.Equal(t, http.StatusCreated, reg.status, string(reg.raw))
	id, tok := reg.body["account_id"].(string), reg.body["token"].(string)

	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	code := sms.lastCode(t)
	a := ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/confirm", tok, map[string]string{"code": code})
	require.Equal(t, http.StatusOK, a.status, "the SMS gateway's code confirms the phone: %s", a.raw)

	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/email/code", tok, nil).status)
	box.mu.Lock()
	require.Len(t, box.data, 1)
	mailCode := sixDigits.FindString(box.data[0])
	box.mu.Unlock()
	a = ts.do("POST", "/v1/accounts/"+id+"/contacts/email/confirm", tok, map[string]string{"code": mailCode})
	require.Equal(t, http.StatusOK, a.status, "the mailed code confirms the email: %s", a.raw)

	sms.mu.Lock()
	sms.failing = true
	sms.mu.Unlock()
	reg = ts.do("POST", "/v1/accounts", "", map[string]any{"surname": "Ли", "given_names": "Мин",
		"citizenship": "CN", "phone": "+79123450002", "consent": consent})
	require.Equal(t, http.StatusCreated, reg.status)
	a = ts.do("POST", "/v1/accounts/"+reg.body["account_id"].(string)+"/contacts/phone/code", reg.body["token"].(string), nil)
	assert.Equal(t, http.StatusInternalServerError, a.status, "the code could not be sent")

	file, err := os.ReadFile(filepath.Join(ts.dataDir, "outbox.jsonl"))
	require.NoError(t, err)
	assert.NotContains(t, string(file), code)
	assert.NotContains(t, string(file), mailCode)

	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"delivery", "dead-letters", "--data-dir", ts.dataDir, "--format", "ndjson"}, &out, &errOut))
	var dl map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &dl), out.String())
	assert.Equal(t, "sms", dl["channel"])
	assert.Equal(t, "contact_code", dl["kind"])
	assert.EqualValues(t, 3, dl["attempts"], "the default attempts")
	assert.Contains(t, dl["text"], "[redacted]")
	assert.False(t, sixDigits.MatchString(dl["text"].(string)), "no code in the dead letter")
}

// TestDelivery_ProductionModeRedactsCodesInTheOutboxFile: without an
// adapter a code goes to the file, and outside development mode in
// redacted form only.
func TestDelivery_ProductionModeRedactsCodesInTheOutboxFile(t *testing.T) {
	ts := startServer(t, map[string]string{"env": "production"})
	id, tok := ts.register("+79123450003")
	require.Equal(t, http.StatusAccepted, ts.do("POST", "/v1/accounts/"+id+"/contacts/phone/code", tok, nil).status)
	file, err := os.ReadFile(filepath.Join(ts.dataDir, "outbox.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(file), "[redacted]")
	assert.NotContains(t, string(file), `"code"`)
	assert.False(t, sixDigits.Match(file), "no six-digit code in the file: %s", file)
}
