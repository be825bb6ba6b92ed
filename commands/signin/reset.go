package signin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
)

// destination is the keyed hash of a login, which names reset codes and
// the failures of logins that name no account.
func (s *Service) destination(l login) string {
	m := hmac.New(sha256.New, s.c.Key)
	m.Write([]byte("reset|" + domain.ContactKey(l.channel, l.value)))
	return hex.EncodeToString(m.Sum(nil))
}

// RequestReset sends a recovery code to login when it is a confirmed
// contact. For any other login it keeps a code that is sent nowhere, so
// that asking, the destination's code limit (too_many_codes) and
// confirming all answer alike whether the login exists or not.
func (s *Service) RequestReset(ctx context.Context, rawLogin, userAgent string) (Attempt, error) {
	l, err := s.resolve(ctx, rawLogin)
	if err != nil {
		return Attempt{}, err
	}
	at := Attempt{AccountID: l.account}
	if err := s.c.CodeLimit.Take(ctx, l.channel, l.value); err != nil {
		return at, err
	}
	dest := s.destination(l)
	// A new code voids the older ones.
	_, err = s.c.DB.NewUpdate().Model((*challenge)(nil)).Set("used = ?", true).
		Where("destination = ? AND purpose = ? AND used = ?", dest, purposeReset, false).Exec(ctx)
	if err != nil {
		return at, fmt.Errorf("void reset codes: %w", err)
	}
	now := s.now()
	c := &challenge{ID: s.c.NewID().String(), Destination: dest, Purpose: purposeReset,
		Channel: notifyChannel(l.channel), AttemptsLeft: domain.MaxCodeAttempts, ExpiresAt: now.Add(codeTTL(l.channel)),
		UserAgent: truncateUTF8(userAgent, MaxUserAgent), CreatedAt: now}
	if l.account != uuid.Nil {
		c.AccountID = l.account.String()
	}
	code, err := domain.NewCode(s.c.Random)
	if err != nil {
		return at, err
	}
	c.CodeHash = s.codeHash(c.ID, code)
	if _, err := s.c.DB.NewInsert().Model(c).Exec(ctx); err != nil {
		return at, fmt.Errorf("insert reset code: %w", err)
	}
	if l.account == uuid.Nil {
		return at, nil
	}
	n := delivery.Notification{Channel: c.Channel, To: l.value, AccountID: c.AccountID, Code: code, Kind: "reset_code", At: now,
		Text: fmt.Sprintf("Код для восстановления пароля: %s. Если вы его не запрашивали, ничего не делайте.", code)}
	if err := s.c.Notifier.Notify(ctx, n); err != nil {
		return at, fmt.Errorf("send reset code: %w", err)
	}
	return at, nil
}

// ConfirmReset sets a new password with a recovery code and ends every
// session of the account: code_expired when no code is pending for login,
// code_invalid with attempts_left for a wrong one, password_weak (the code
// stays valid) for a password the rules refuse.
func (s *Service) ConfirmReset(ctx context.Context, rawLogin, code, pw string) (commands.Result, Attempt, error) {
	l, err := s.resolve(ctx, rawLogin)
	if err != nil {
		return commands.Result{}, Attempt{}, err
	}
	at := Attempt{AccountID: l.account}
	var c challenge
	err = s.c.DB.NewSelect().Model(&c).Where("destination = ? AND purpose = ? AND used = ?", s.destination(l), purposeReset, false).
		Order("created_at DESC").Limit(1).Scan(ctx)
	if isNoRows(err) {
		return commands.Result{}, at, domain.NewError(domain.CodeCodeExpired, "no valid recovery code; ask for a new one")
	}
	if err != nil {
		return commands.Result{}, at, fmt.Errorf("load reset code: %w", err)
	}
	if err := s.judge(ctx, c, code, ""); err != nil {
		return commands.Result{}, at, err
	}
	// Only a code that was sent can be right: c belongs to a real account.
	account, err := uuid.Parse(c.AccountID)
	if err != nil {
		return commands.Result{}, at, fmt.Errorf("reset code without account: %w", err)
	}
	a, err := s.c.Repo.Load(ctx, account)
	if err != nil {
		return commands.Result{}, at, err
	}
	var contacts []string
	for _, ct := range a.State().Contacts {
		contacts = append(contacts, ct.Value)
	}
	if err := domain.CheckPassword(pw, contacts); err != nil {
		return commands.Result{}, at, err
	}
	if err := s.spend(ctx, c); err != nil {
		return commands.Result{}, at, err
	}
	res, err := s.storePassword(ctx, a, pw, "reset")
	if err != nil {
		return res, at, err
	}
	return res, at, s.endAll(ctx, account, EndPasswordReset)
}
