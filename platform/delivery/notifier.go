package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Notification is one message to a person through one channel.
type Notification struct {
	Channel   string    `json:"channel"` // sms, email, push
	To        string    `json:"to"`
	AccountID string    `json:"account_id"`
	Text      string    `json:"text"`
	Code      string    `json:"code,omitempty"` // present when it carries a one-time code
	Kind      string    `json:"kind,omitempty"`
	At        time.Time `json:"at"`
}

// Notifier delivers notifications (SMS gateway, SMTP, push in production).
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Redacted replaces a one-time code wherever a notification shows it.
const Redacted = "[redacted]"

// Redact returns n without its one-time code: Code is dropped and the code
// is replaced by Redacted in the text.
func Redact(n Notification) Notification {
	if n.Code == "" {
		return n
	}
	n.Text = strings.ReplaceAll(n.Text, n.Code, Redacted)
	n.Code = ""
	return n
}

// OutboxFile is the embedded notifier: it appends one JSON object a line to
// <data-dir>/outbox.jsonl and syncs, so a developer can read the codes sent.
// Outside development mode RedactCodes is set: codes never reach the file.
type OutboxFile struct {
	mu   sync.Mutex
	f    *os.File
	path string
	// RedactCodes writes every notification through Redact.
	RedactCodes bool
}

// OpenOutboxFile opens (creating, mode 0600: codes are secrets) the outbox in dataDir.
func OpenOutboxFile(dataDir string) (*OutboxFile, error) {
	path := filepath.Join(dataDir, "outbox.jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	return &OutboxFile{f: f, path: path}, nil
}

// Notify appends n as one line and syncs it to disk.
func (o *OutboxFile) Notify(_ context.Context, n Notification) error {
	if o.RedactCodes {
		n = Redact(n)
	}
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	if err := o.f.Sync(); err != nil {
		return fmt.Errorf("sync outbox: %w", err)
	}
	return nil
}

// Purge removes every line of accountID from the outbox (erasure): the
// others are written to a new file that replaces it, so the removed lines
// are in no file of the data dir any more.
func (o *OutboxFile) Purge(accountID string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	old, err := os.ReadFile(o.path)
	if err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	var kept []byte
	for _, line := range bytes.SplitAfter(old, []byte("\n")) {
		var n struct {
			AccountID string `json:"account_id"`
		}
		if len(bytes.TrimSpace(line)) == 0 || (json.Unmarshal(line, &n) == nil && n.AccountID == accountID) {
			continue
		}
		kept = append(kept, line...)
	}
	tmp := o.path + ".purge"
	if err := os.WriteFile(tmp, kept, 0o600); err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	if err := os.Rename(tmp, o.path); err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	f, err := os.OpenFile(o.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("purge outbox: reopen: %w", err)
	}
	o.f.Close()
	o.f = f
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Path is the outbox file's path.
func (o *OutboxFile) Path() string { return o.path }

// Close closes the file.
func (o *OutboxFile) Close() error { return o.f.Close() }

// Fanout delivers every notification to each notifier in turn, stopping at
// the first failure.
type Fanout []Notifier

// Notify implements Notifier.
func (f Fanout) Notify(ctx context.Context, n Notification) error {
	for _, x := range f {
		if err := x.Notify(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
