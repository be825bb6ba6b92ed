package signin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
)

// Reasons a session ends (signin_sessions.end_reason).
const (
	EndLogout        = "logout"
	EndRevoked       = "revoked"
	EndRefreshReused = "refresh_reused"
	EndPasswordReset = "password_reset"
	EndAllSessions   = "ended_all"
)

// refreshPrefix marks Kabinet refresh tokens, so a leaked one is easy to
// recognise in a scanner.
const refreshPrefix = "kbr_"

// SessionInfo is one session as its citizen sees it.
type SessionInfo struct {
	SessionID  string    `json:"session_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

func hashRefresh(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func (s *Service) newRefresh() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.c.Random, b); err != nil {
		return "", fmt.Errorf("refresh token: %w", err)
	}
	return refreshPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// mint signs an access token of session sid for account.
func (s *Service) mint(account uuid.UUID, sid string) (string, error) {
	p := auth.Principal{Subject: account.String(), Role: auth.RoleCitizen, AccountID: account,
		SessionID: sid, TokenID: s.c.NewID().String()}
	return s.c.Issuer.Mint(p, AccessTTL)
}

// Open starts a session for account (after a sign-in, or the first one at
// registration) and returns its tokens.
func (s *Service) Open(ctx context.Context, account uuid.UUID, userAgent string) (commands.SessionTokens, error) {
	now := s.now()
	sess := &session{ID: s.c.NewID().String(), AccountID: account.String(), CreatedAt: now, LastUsedAt: now,
		ExpiresAt: now.Add(AbsoluteLimit), UserAgent: truncateUTF8(userAgent, MaxUserAgent)}
	refresh, err := s.newRefresh()
	if err != nil {
		return commands.SessionTokens{}, err
	}
	err = s.c.DB.RunGrouped(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(sess).Exec(ctx); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		_, err := tx.NewInsert().Model(&refreshToken{Hash: hashRefresh(refresh), SessionID: sess.ID, CreatedAt: now}).Exec(ctx)
		return err
	})
	if err != nil {
		return commands.SessionTokens{}, fmt.Errorf("open session: %w", err)
	}
	tok, err := s.mint(account, sess.ID)
	if err != nil {
		return commands.SessionTokens{}, err
	}
	return commands.SessionTokens{SessionID: sess.ID, Token: tok, RefreshToken: refresh, ExpiresIn: int(AccessTTL.Seconds())}, nil
}

// live reports whether sess may be used at now.
func live(sess session, now time.Time) bool {
	return sess.EndedAt.IsZero() && now.Before(sess.ExpiresAt) && now.Before(sess.LastUsedAt.Add(IdleLimit))
}

// Refresh trades a refresh token for new tokens of its session; the old
// one is spent. A spent one presented again is refresh_reused and ends the
// whole session (someone else holds a copy); an unknown token, or one of a
// session that has ended, is refresh_invalid. It returns the session's
// account (uuid.Nil when unknown) for the journal.
func (s *Service) Refresh(ctx context.Context, token string) (commands.SessionTokens, uuid.UUID, error) {
	now := s.now()
	var rt refreshToken
	err := s.c.DB.NewSelect().Model(&rt).Where("hash = ?", hashRefresh(token)).Scan(ctx)
	if isNoRows(err) {
		return commands.SessionTokens{}, uuid.Nil, domain.NewError(domain.CodeRefreshInvalid, "the refresh token is not valid")
	}
	if err != nil {
		return commands.SessionTokens{}, uuid.Nil, fmt.Errorf("load refresh token: %w", err)
	}
	var sess session
	if err := s.c.DB.NewSelect().Model(&sess).Where("id = ?", rt.SessionID).Scan(ctx); err != nil {
		return commands.SessionTokens{}, uuid.Nil, fmt.Errorf("load session: %w", err)
	}
	account, _ := uuid.Parse(sess.AccountID)
	if !live(sess, now) {
		return commands.SessionTokens{}, account, domain.NewError(domain.CodeRefreshInvalid, "the session has ended; sign in again")
	}
	next, err := s.newRefresh()
	if err != nil {
		return commands.SessionTokens{}, account, err
	}
	reused := false
	err = s.c.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*refreshToken)(nil)).Set("used_at = ?", now).
			Where("hash = ? AND used_at IS NULL", rt.Hash).Exec(ctx)
		if err != nil {
			return fmt.Errorf("spend refresh token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			reused = true
			return nil
		}
		if _, err := tx.NewInsert().Model(&refreshToken{Hash: hashRefresh(next), SessionID: sess.ID, CreatedAt: now}).Exec(ctx); err != nil {
			return fmt.Errorf("insert refresh token: %w", err)
		}
		_, err = tx.NewUpdate().Model((*session)(nil)).Set("last_used_at = ?", now).Where("id = ?", sess.ID).Exec(ctx)
		return err
	})
	if err != nil {
		return commands.SessionTokens{}, account, fmt.Errorf("refresh session: %w", err)
	}
	if reused {
		if err := s.End(ctx, sess.ID, EndRefreshReused); err != nil {
			return commands.SessionTokens{}, account, err
		}
		return commands.SessionTokens{}, account, domain.NewError(domain.CodeRefreshReused,
			"this refresh token was already used; the session has ended")
	}
	tok, err := s.mint(account, sess.ID)
	if err != nil {
		return commands.SessionTokens{}, account, err
	}
	s.forget(sess.ID)
	return commands.SessionTokens{SessionID: sess.ID, Token: tok, RefreshToken: next, ExpiresIn: int(AccessTTL.Seconds())}, account, nil
}

// End ends one session now (its access tokens are refused at once here,
// within CacheFor on other instances); ending an ended one changes nothing.
func (s *Service) End(ctx context.Context, sessionID, reason string) error {
	_, err := s.c.DB.NewUpdate().Model((*session)(nil)).Set("ended_at = ?", s.now()).Set("end_reason = ?", reason).
		Where("id = ? AND ended_at IS NULL", sessionID).Exec(ctx)
	s.forget(sessionID)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndAll ends every session of the account when it is closed, and forgets
// the user agents its sessions and challenges kept (personal data that
// erasure must not find).
func (s *Service) EndAll(ctx context.Context, accountID uuid.UUID) error {
	if err := s.endAll(ctx, accountID, EndAllSessions); err != nil {
		return err
	}
	for _, m := range []any{(*session)(nil), (*challenge)(nil)} {
		if _, err := s.c.DB.NewUpdate().Model(m).Set("user_agent = ''").
			Where("account_id = ?", accountID.String()).Exec(ctx); err != nil {
			return fmt.Errorf("forget user agents: %w", err)
		}
	}
	return nil
}

func (s *Service) endAll(ctx context.Context, accountID uuid.UUID, reason string) error {
	var ids []string
	err := s.c.DB.NewSelect().Model((*session)(nil)).Column("id").
		Where("account_id = ? AND ended_at IS NULL", accountID.String()).Scan(ctx, &ids)
	if err != nil {
		return fmt.Errorf("list sessions to end: %w", err)
	}
	for _, id := range ids {
		if err := s.End(ctx, id, reason); err != nil {
			return err
		}
	}
	return nil
}

// List returns the account's live sessions, newest first; current marks
// the caller's own.
func (s *Service) List(ctx context.Context, accountID uuid.UUID, current string) ([]SessionInfo, error) {
	var rows []session
	err := s.c.DB.NewSelect().Model(&rows).Where("account_id = ? AND ended_at IS NULL", accountID.String()).
		Order("created_at DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	now := s.now()
	out := []SessionInfo{}
	for _, r := range rows {
		if !live(r, now) {
			continue
		}
		out = append(out, SessionInfo{SessionID: r.ID, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt,
			ExpiresAt: r.ExpiresAt, UserAgent: r.UserAgent, Current: r.ID == current})
	}
	return out, nil
}

// Revoke ends the account's session sessionID; a session of another
// account, or none, is session_not_found.
func (s *Service) Revoke(ctx context.Context, accountID uuid.UUID, sessionID string) error {
	res, err := s.c.DB.NewUpdate().Model((*session)(nil)).Set("ended_at = ?", s.now()).Set("end_reason = ?", EndRevoked).
		Where("id = ? AND account_id = ? AND ended_at IS NULL", sessionID, accountID.String()).Exec(ctx)
	s.forget(sessionID)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NewError(domain.CodeSessionNotFound, "no such session")
	}
	return nil
}

// Active implements auth.Sessions: the session exists, has not ended and
// is within its idle and absolute limits. A use refreshes its idle clock
// (written at most once a minute). What it read is trusted for CacheFor.
func (s *Service) Active(ctx context.Context, sessionID string) (bool, error) {
	now := s.now()
	if !s.c.NoCache {
		s.mu.Lock()
		c, ok := s.cache[sessionID]
		s.mu.Unlock()
		if ok && c.fresh(now) {
			return c.active, nil
		}
	}
	var sess session
	err := s.c.DB.NewSelect().Model(&sess).Where("id = ?", sessionID).Scan(ctx)
	if err != nil && !isNoRows(err) {
		return false, fmt.Errorf("load session: %w", err)
	}
	active := err == nil && live(sess, now)
	if active && now.Sub(sess.LastUsedAt) >= time.Minute {
		if _, err := s.c.DB.NewUpdate().Model((*session)(nil)).Set("last_used_at = ?", now).
			Where("id = ?", sessionID).Exec(ctx); err != nil {
			return false, fmt.Errorf("touch session: %w", err)
		}
	}
	if !s.c.NoCache {
		s.mu.Lock()
		if now.Sub(s.swept) >= CacheFor || now.Before(s.swept) {
			s.sweep(now)
		}
		if len(s.cache) > 100_000 {
			clear(s.cache)
		}
		s.cache[sessionID] = cachedSession{active: active, at: now}
		s.mu.Unlock()
	}
	return active, nil
}

// sweep lets go of what was read CacheFor ago or more (or in what is now
// the future), which Active would read again anyway: the cache holds about
// CacheFor's worth of sessions, not every one seen. s.mu held.
func (s *Service) sweep(now time.Time) {
	for id, c := range s.cache {
		if !c.fresh(now) {
			delete(s.cache, id)
		}
	}
	s.swept = now
}

// forget drops what this instance cached of a session.
func (s *Service) forget(sessionID string) {
	s.mu.Lock()
	delete(s.cache, sessionID)
	s.mu.Unlock()
}
