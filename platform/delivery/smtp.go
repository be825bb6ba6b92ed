package delivery

import (
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLS modes of an SMTP relay.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS: a relay on this host or a private network only
)

// SMTP sends email notifications through an SMTP relay.
type SMTP struct {
	Addr     string // host:port
	From     string // envelope and header sender
	Username string // AUTH PLAIN when set
	Password string
	TLS      string      // TLSStartTLS (default), TLSImplicit or TLSNone
	TLSConf  *tls.Config // nil: verify the relay's certificate for its host name
	Timeout  time.Duration
	// Now stamps the Date header (default time.Now).
	Now func() time.Time
}

// Notify sends n to n.To as a plain-text UTF-8 message.
func (s *SMTP) Notify(ctx context.Context, n Notification) error {
	if n.To == "" {
		return Permanent(fmt.Errorf("smtp: notification %s has no address", n.Kind))
	}
	c, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if s.Username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS && !loopback(s.Addr) {
			return Permanent(fmt.Errorf("smtp: refusing to send the password to %s without TLS", s.Addr))
		}
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return classify("smtp auth", err)
		}
	}
	if err := c.SendMail(s.From, []string{n.To}, strings.NewReader(s.message(n))); err != nil {
		return classify("smtp send", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp quit: %w", err)
	}
	return nil
}

// dial connects in the configured TLS mode, bounded by ctx and Timeout.
func (s *SMTP) dial(ctx context.Context) (*smtp.Client, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.Addr, err)
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	conf := s.TLSConf
	if conf == nil {
		host, _, _ := net.SplitHostPort(s.Addr)
		conf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	switch s.TLS {
	case TLSNone:
		return smtp.NewClient(conn), nil
	case TLSImplicit:
		return smtp.NewClient(tls.Client(conn, conf)), nil
	default:
		c, err := smtp.NewClientStartTLS(conn, conf)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("starttls %s: %w", s.Addr, err)
		}
		return c, nil
	}
}

// message is the RFC 5322 message of n.
func (s *SMTP) message(n Notification) string {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	subject := "Госуслуги: уведомление"
	if n.Code != "" {
		subject = "Госуслуги: код подтверждения"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", s.From, n.To)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(n.Text, "\n", "\r\n"))
	b.WriteString("\r\n")
	return b.String()
}

// classify marks an SMTP 5xx reply permanent; 4xx and I/O errors are
// worth another attempt.
func classify(what string, err error) error {
	if se, ok := err.(*smtp.SMTPError); ok && se.Code >= 500 {
		return Permanent(fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
