package delivery_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/delivery"
)

// mailbox is a real SMTP server (go-smtp) on a loopback port that keeps
// what it receives.
type mailbox struct {
	addr string
	mu   sync.Mutex
	mail []received
	// reject answers RCPT with this SMTP code when non-zero.
	reject int
}

type received struct {
	from, to, user, data string
}

type session struct {
	m   *mailbox
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "kabinet" || pass != "s3cret" {
			return smtp.ErrAuthFailed
		}
		s.cur.user = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	reject := s.m.reject
	s.m.mu.Unlock()
	if reject != 0 {
		return &smtp.SMTPError{Code: reject, Message: "no such mailbox"}
	}
	s.cur.to = to
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.m.mu.Lock()
	s.m.mail = append(s.m.mail, s.cur)
	s.m.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	m := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{m: m}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailbox) setReject(code int) {
	m.mu.Lock()
	m.reject = code
	m.mu.Unlock()
}

func (m *mailbox) received() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.mail...)
}

func TestSMTP_DeliversAnEmailToARealSMTPServerWithAuth(t *testing.T) {
	m := startMailbox(t)
	s := &delivery.SMTP{Addr: m.addr, From: "noreply@kabinet.example", Username: "kabinet", Password: "s3cret", TLS: delivery.TLSNone}
	n := delivery.Notification{Channel: "email", To: "anna.kim@example.com", Kind: "contact_code", Code: "123456",
		Text: "Код подтверждения адреса: 123456. Действует 30 минут."}
	require.NoError(t, s.Notify(context.Background(), n))
	got := m.received()
	require.Len(t, got, 1)
	assert.Equal(t, "noreply@kabinet.example", got[0].from)
	assert.Equal(t, "anna.kim@example.com", got[0].to)
	assert.Equal(t, "kabinet", got[0].user, "authenticated")
	assert.Contains(t, got[0].data, "Content-Type: text/plain; charset=utf-8")
	assert.Contains(t, got[0].data, "Код подтверждения адреса: 123456", "the body arrives intact")
	assert.Contains(t, got[0].data, "Subject: =?utf-8?b?", "a UTF-8 subject is encoded")
}

func TestSMTP_WrongPasswordAndRejectedRecipientArePermanent(t *testing.T) {
	m := startMailbox(t)
	s := &delivery.SMTP{Addr: m.addr, From: "noreply@kabinet.example", Username: "kabinet", Password: "wrong", TLS: delivery.TLSNone}
	n := delivery.Notification{Channel: "email", To: "x@example.com", Text: "hi"}
	err := s.Notify(context.Background(), n)
	require.Error(t, err)
	assert.True(t, delivery.IsPermanent(err), "535 is permanent: %v", err)

	m.setReject(550)
	s.Password = "s3cret"
	err = s.Notify(context.Background(), n)
	require.Error(t, err)
	assert.True(t, delivery.IsPermanent(err), "550 is permanent: %v", err)
	m.setReject(451)
	err = s.Notify(context.Background(), n)
	require.Error(t, err)
	assert.False(t, delivery.IsPermanent(err), "451 is worth another attempt: %v", err)
	assert.Empty(t, m.received())
}

func TestSMTP_RefusesToSendThePasswordWithoutTLSBeyondLoopback(t *testing.T) {
	addrs, _ := net.InterfaceAddrs()
	var external string
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			external = ipn.IP.String()
		}
	}
	if external == "" {
		t.Skip("SKIP: no non-loopback IPv4 address on this host")
	}
	m2 := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{m: m2}, nil }))
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", net.JoinHostPort(external, "0"))
	require.NoError(t, err)
	go srv.Serve(ln)
	defer srv.Close()
	s := &delivery.SMTP{Addr: ln.Addr().String(), From: "a@b.example", Username: "kabinet", Password: "s3cret", TLS: delivery.TLSNone}
	err = s.Notify(context.Background(), delivery.Notification{Channel: "email", To: "x@example.com", Text: "hi"})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "without TLS"), err.Error())
	assert.Empty(t, m2.received())
}
