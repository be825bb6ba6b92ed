package signin

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/delivery"
)

// Purposes of a challenge.
const (
	purposeSignIn = "signin"
	purposeReset  = "reset"
)

// channelTotp is a challenge answered from an authenticator app.
const channelTotp = "totp"

// Challenge is a sign-in waiting for its second factor.
type Challenge struct {
	ID        string    `json:"challenge_id"`
	Channel   string    `json:"channel"` // sms, email or totp
	MaskedTo  string    `json:"masked_to,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Attempt tells the journal what a sign-in step concerned: the account
// (uuid.Nil when the login is unknown) and whether it locked sign-in.
type Attempt struct {
	AccountID uuid.UUID
	Locked    bool
}

// SetPassword checks pw against the rules (docs/DOMAIN.md §10), stores its
// Argon2id hash and records PasswordSet or PasswordChanged. Once a password
// is set, current must be it (current_password_required,
// current_password_wrong — a wrong one counts towards the lock).
func (s *Service) SetPassword(ctx context.Context, account uuid.UUID, pw, current string) (commands.Result, error) {
	a, err := s.c.Repo.Load(ctx, account)
	if err != nil {
		return commands.Result{}, err
	}
	cred, ok, err := s.loadCredential(ctx, account.String())
	if err != nil {
		return commands.Result{}, err
	}
	if ok && cred.PasswordHash != "" {
		if current == "" {
			return commands.Result{}, domain.NewError(domain.CodePasswordRequired, "current_password is required to change the password")
		}
		if err := s.checkLock(cred); err != nil {
			return commands.Result{}, err
		}
		if match, _, err := s.c.Hasher.Verify(cred.PasswordHash, current); err != nil || !match {
			if _, ferr := s.fail(ctx, account.String()); ferr != nil {
				return commands.Result{}, ferr
			}
			return commands.Result{}, domain.NewError(domain.CodeCurrentPasswordWrong, "the current password is wrong")
		}
	}
	return s.storePassword(ctx, a, pw, "changed")
}

// storePassword checks and stores pw for a and records the fact.
func (s *Service) storePassword(ctx context.Context, a *domain.ForeignerAccount, pw, reason string) (commands.Result, error) {
	var contacts []string
	for _, c := range a.State().Contacts {
		contacts = append(contacts, c.Value)
	}
	if err := domain.CheckPassword(pw, contacts); err != nil {
		return commands.Result{}, err
	}
	hash, err := s.c.Hasher.Hash(pw)
	if err != nil {
		return commands.Result{}, err
	}
	md := commands.MetadataFrom(ctx)
	md.Command = "SetPassword"
	if md.ActorID == "" {
		md.ActorID, md.ActorRole = a.ID().String(), "citizen"
	}
	if reason == "reset" {
		md.Command = "ResetPassword"
	}
	// The fact first, so that no password works without its journaled
	// event; a failure after it leaves the old password, and a retry
	// records the change again.
	res, err := s.c.Repo.Update(ctx, a.ID(), md, func(acc *domain.ForeignerAccount) error {
		acc.RecordPassword(reason, s.now())
		return nil
	})
	if err != nil {
		return res, err
	}
	return res, s.saveHash(ctx, a.ID(), hash)
}

// saveHash stores hash as the account's password and clears failures and lock.
func (s *Service) saveHash(ctx context.Context, account uuid.UUID, hash string) error {
	c := &credential{AccountID: account.String(), PasswordHash: hash, UpdatedAt: s.now()}
	_, err := s.c.DB.NewInsert().Model(c).
		On("CONFLICT (account_id) DO UPDATE").
		Set("password_hash = EXCLUDED.password_hash").Set("failures = 0").Set("locked_until = NULL").
		Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("store password hash: %w", err)
	}
	return nil
}

// checkLock refuses while sign-in is locked (account_locked, retry_after).
func (s *Service) checkLock(c credential) error {
	now := s.now()
	if c.LockedUntil.IsZero() || !now.Before(c.LockedUntil) {
		return nil
	}
	return domain.NewError(domain.CodeAccountLocked, "too many wrong passwords; sign-in is locked for 30 minutes").
		WithDetail("until", c.LockedUntil.UTC().Format(time.RFC3339)).
		WithDetail("retry_after", int(math.Ceil(c.LockedUntil.Sub(now).Seconds())))
}

// fail counts one wrong password; the MaxFailures-th in a row locks
// sign-in for LockDuration. The count is kept in the database, so wrong
// passwords sent to several instances add up.
func (s *Service) fail(ctx context.Context, key string) (bool, error) {
	var failures int
	err := s.c.DB.NewUpdate().Model((*credential)(nil)).Set("failures = failures + 1").
		Where("account_id = ?", key).Returning("failures").Scan(ctx, &failures)
	if err != nil {
		return false, fmt.Errorf("count failure: %w", err)
	}
	if failures < MaxFailures {
		return false, nil
	}
	_, err = s.c.DB.NewUpdate().Model((*credential)(nil)).Set("failures = 0").
		Set("locked_until = ?", s.now().Add(LockDuration)).Where("account_id = ?", key).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("lock sign-in: %w", err)
	}
	return true, nil
}

// SignIn checks a login and its password and sends the second factor. An
// unknown login, one without a password and a wrong password are the same
// invalid_credentials after the same Argon2id work, and count alike
// towards the lock: failures of a login that names no account are kept
// under the login's keyed hash, so that it locks too.
func (s *Service) SignIn(ctx context.Context, rawLogin, pw, userAgent string) (Challenge, Attempt, error) {
	l, err := s.resolve(ctx, rawLogin)
	if err != nil {
		return Challenge{}, Attempt{}, err
	}
	at := Attempt{AccountID: l.account}
	key := "login:" + s.destination(l)
	var cred credential
	found := false
	if l.account != uuid.Nil {
		key = l.account.String()
		if cred, found, err = s.loadCredential(ctx, key); err != nil {
			return Challenge{}, at, err
		}
	}
	if !found || cred.PasswordHash == "" {
		return Challenge{}, at, s.unknown(ctx, key, pw)
	}
	if err := s.checkLock(cred); err != nil {
		return Challenge{}, at, err
	}
	match, rehash, err := s.c.Hasher.Verify(cred.PasswordHash, pw)
	if err != nil {
		return Challenge{}, at, fmt.Errorf("verify password: %w", err)
	}
	if !match {
		if at.Locked, err = s.fail(ctx, key); err != nil {
			return Challenge{}, at, err
		}
		return Challenge{}, at, invalidCredentials()
	}
	if err := s.succeeded(ctx, l.account, pw, rehash); err != nil {
		return Challenge{}, at, err
	}
	ch, err := s.challenge(ctx, l.account, cred.TotpSecret != "", userAgent)
	return ch, at, err
}

// unknown answers a login without a password as a wrong password: the
// same lock check, the same hash work, a counted failure.
func (s *Service) unknown(ctx context.Context, key, pw string) error {
	_, err := s.c.DB.NewInsert().Model(&credential{AccountID: key, UpdatedAt: s.now()}).
		On("CONFLICT (account_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("track unknown login: %w", err)
	}
	cred, _, err := s.loadCredential(ctx, key)
	if err != nil {
		return err
	}
	if err := s.checkLock(cred); err != nil {
		return err
	}
	s.c.Hasher.VerifyDummy(pw)
	if _, err := s.fail(ctx, key); err != nil {
		return err
	}
	return invalidCredentials()
}

// succeeded clears the failure count and, when the hash was made with
// other parameters, replaces it with one made with today's.
func (s *Service) succeeded(ctx context.Context, account uuid.UUID, pw string, rehash bool) error {
	if rehash {
		hash, err := s.c.Hasher.Hash(pw)
		if err != nil {
			return err
		}
		return s.saveHash(ctx, account, hash)
	}
	_, err := s.c.DB.NewUpdate().Model((*credential)(nil)).Set("failures = 0").
		Where("account_id = ? AND failures <> 0", account.String()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("clear failures: %w", err)
	}
	return nil
}

// challenge starts the second factor: the authenticator app when enrolled,
// else a code to a confirmed contact (phone first).
func (s *Service) challenge(ctx context.Context, account uuid.UUID, hasTotp bool, userAgent string) (Challenge, error) {
	now := s.now()
	c := &challenge{ID: s.c.NewID().String(), AccountID: account.String(), Purpose: purposeSignIn,
		AttemptsLeft: domain.MaxCodeAttempts, UserAgent: truncateUTF8(userAgent, MaxUserAgent), CreatedAt: now}
	out := Challenge{ID: c.ID}
	if hasTotp {
		c.Channel, c.ExpiresAt = channelTotp, now.Add(domain.PhoneCodeTTL)
		out.Channel, out.ExpiresAt = channelTotp, c.ExpiresAt
		if _, err := s.c.DB.NewInsert().Model(c).Exec(ctx); err != nil {
			return Challenge{}, fmt.Errorf("insert challenge: %w", err)
		}
		return out, nil
	}
	a, err := s.c.Repo.Load(ctx, account)
	if err != nil {
		return Challenge{}, err
	}
	contacts := a.ConfirmedContacts()
	if len(contacts) == 0 {
		return Challenge{}, domain.NewError(domain.CodeNoConfirmedContact, "the account has no confirmed contact to send a code to")
	}
	to := contacts[0]
	c.Channel, c.ExpiresAt = notifyChannel(to.Channel), now.Add(codeTTL(to.Channel))
	out.Channel, out.MaskedTo, out.ExpiresAt = c.Channel, mask(to.Channel, to.Value), c.ExpiresAt
	if err := s.sendCode(ctx, c, to, "signin_code"); err != nil {
		return Challenge{}, err
	}
	return out, nil
}

// sendCode takes a slot of the destination's limit, stores c with the hash
// of a fresh code and sends the code.
func (s *Service) sendCode(ctx context.Context, c *challenge, to domain.ContactState, kind string) error {
	if err := s.c.CodeLimit.Take(ctx, to.Channel, to.Value); err != nil {
		return err
	}
	code, err := domain.NewCode(s.c.Random)
	if err != nil {
		return err
	}
	c.CodeHash = s.codeHash(c.ID, code)
	if _, err := s.c.DB.NewInsert().Model(c).Exec(ctx); err != nil {
		return fmt.Errorf("insert challenge: %w", err)
	}
	text := fmt.Sprintf("Код для входа в личный кабинет: %s. Никому не сообщайте код.", code)
	n := delivery.Notification{Channel: notifyChannel(to.Channel), To: to.Value, AccountID: c.AccountID,
		Text: text, Code: code, Kind: kind, At: c.CreatedAt}
	if err := s.c.Notifier.Notify(ctx, n); err != nil {
		return fmt.Errorf("send %s: %w", kind, err)
	}
	return nil
}

// Complete checks the second factor of challenge id and opens the session:
// challenge_not_found for an unknown one, code_expired for one past its
// time or spent, code_invalid with attempts_left for a wrong code (the
// third voids the challenge).
func (s *Service) Complete(ctx context.Context, id, code, userAgent string) (commands.SessionTokens, Attempt, error) {
	var c challenge
	err := s.c.DB.NewSelect().Model(&c).Where("id = ? AND purpose = ?", id, purposeSignIn).Scan(ctx)
	if isNoRows(err) {
		return commands.SessionTokens{}, Attempt{}, domain.NewError(domain.CodeChallengeNotFound, "no such sign-in challenge")
	}
	if err != nil {
		return commands.SessionTokens{}, Attempt{}, fmt.Errorf("load challenge: %w", err)
	}
	account, _ := uuid.Parse(c.AccountID)
	at := Attempt{AccountID: account}
	var secret string
	if c.Channel == channelTotp {
		cred, _, err := s.loadCredential(ctx, c.AccountID)
		if err != nil {
			return commands.SessionTokens{}, at, err
		}
		if secret, err = s.seal.open(c.AccountID, cred.TotpSecret); err != nil {
			return commands.SessionTokens{}, at, err
		}
	}
	if err := s.checkCode(ctx, c, code, secret); err != nil {
		return commands.SessionTokens{}, at, err
	}
	tok, err := s.Open(ctx, account, userAgent)
	return tok, at, err
}

// checkCode judges code for c and spends c when it is right. secret is
// the authenticator's for a totp challenge.
func (s *Service) checkCode(ctx context.Context, c challenge, code, secret string) error {
	if err := s.judge(ctx, c, code, secret); err != nil {
		return err
	}
	return s.spend(ctx, c)
}

// judge refuses a spent or expired challenge (code_expired) and a wrong
// code (code_invalid with attempts_left; the last attempt voids c).
func (s *Service) judge(ctx context.Context, c challenge, code, secret string) error {
	if c.Used || !s.now().Before(c.ExpiresAt) || c.AttemptsLeft <= 0 {
		return domain.NewError(domain.CodeCodeExpired, "the code has expired; ask for a new one")
	}
	var right bool
	if c.Channel == channelTotp {
		right = secret != "" && validTotp(code, secret, s.now())
	} else {
		right = subtle.ConstantTimeCompare([]byte(s.codeHash(c.ID, code)), []byte(c.CodeHash)) == 1
	}
	if right {
		return nil
	}
	var left int
	err := s.c.DB.NewUpdate().Model((*challenge)(nil)).Set("attempts_left = attempts_left - 1").
		Where("id = ? AND attempts_left > 0", c.ID).Returning("attempts_left").Scan(ctx, &left)
	if isNoRows(err) {
		return domain.NewError(domain.CodeCodeExpired, "the code has expired; ask for a new one")
	}
	if err != nil {
		return fmt.Errorf("count wrong code: %w", err)
	}
	return domain.NewError(domain.CodeCodeInvalid, "the code is wrong").WithDetail("attempts_left", left)
}

// spend marks c used; one spent meanwhile (a concurrent request) is
// code_expired.
func (s *Service) spend(ctx context.Context, c challenge) error {
	res, err := s.c.DB.NewUpdate().Model((*challenge)(nil)).Set("used = ?", true).
		Where("id = ? AND used = ?", c.ID, false).Exec(ctx)
	if err != nil {
		return fmt.Errorf("spend challenge: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NewError(domain.CodeCodeExpired, "the code was already used")
	}
	return nil
}
