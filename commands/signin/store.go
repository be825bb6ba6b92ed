package signin

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kabinet/kabinet/platform/schema"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// The secrets of signing in are not events: they live in these write-side
// tables of the read store, which every instance shares on PostgreSQL.

// credential is one account's password hash, failure counter, lock and
// authenticator secret (sealed with AES-256-GCM). AccountID is the
// account's id, or "login:<keyed hash>" for the failures of a login that
// names no account.
type credential struct {
	bun.BaseModel `bun:"table:signin_credentials"`

	AccountID    string    `bun:"account_id,pk"`
	PasswordHash string    `bun:"password_hash,notnull"`
	Failures     int       `bun:"failures,notnull"`
	LockedUntil  time.Time `bun:"locked_until,nullzero"`
	TotpSecret   string    `bun:"totp_secret,notnull"`
	TotpPending  string    `bun:"totp_pending,notnull"`
	TotpTries    int       `bun:"totp_tries,notnull"`
	UpdatedAt    time.Time `bun:"updated_at,notnull"`
}

// challenge is a second factor (purpose signin) or a recovery code
// (purpose reset) waiting for its code; only the code's keyed hash is kept.
type challenge struct {
	bun.BaseModel `bun:"table:signin_challenges"`

	ID           string    `bun:"id,pk"`
	AccountID    string    `bun:"account_id,notnull"`
	Destination  string    `bun:"destination,notnull"` // keyed hash of the login (reset codes)
	Purpose      string    `bun:"purpose,notnull"`
	Channel      string    `bun:"channel,notnull"` // sms, email or totp
	CodeHash     string    `bun:"code_hash,notnull"`
	AttemptsLeft int       `bun:"attempts_left,notnull"`
	ExpiresAt    time.Time `bun:"expires_at,notnull"`
	Used         bool      `bun:"used,notnull"`
	UserAgent    string    `bun:"user_agent,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
}

// session is one sign-in session; EndedAt is set once it ends.
type session struct {
	bun.BaseModel `bun:"table:signin_sessions"`

	ID         string    `bun:"id,pk"`
	AccountID  string    `bun:"account_id,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	LastUsedAt time.Time `bun:"last_used_at,notnull"`
	ExpiresAt  time.Time `bun:"expires_at,notnull"`
	EndedAt    time.Time `bun:"ended_at,nullzero"`
	EndReason  string    `bun:"end_reason,notnull"`
	UserAgent  string    `bun:"user_agent,notnull"`
}

// refreshToken is the SHA-256 of one refresh token a session was given.
// Every one ever issued is kept until the session is gone, so a used one
// presented again is recognised as reuse.
type refreshToken struct {
	bun.BaseModel `bun:"table:signin_refresh_tokens"`

	Hash      string    `bun:"hash,pk"`
	SessionID string    `bun:"session_id,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UsedAt    time.Time `bun:"used_at,nullzero"`
}

// Migrations are the sign-in tables and their indexes, oldest first.
var Migrations = schema.Component{Name: "signin", Migrations: []schema.Migration{
	{ID: "0001_tables", Up: func(ctx context.Context, tx bun.Tx) error {
		for _, m := range []any{(*credential)(nil), (*challenge)(nil), (*session)(nil), (*refreshToken)(nil)} {
			if _, err := tx.NewCreateTable().Model(m).IfNotExists().Exec(ctx); err != nil {
				return fmt.Errorf("create %T: %w", m, err)
			}
		}
		for _, ix := range []struct {
			model       any
			name, field string
		}{
			{(*challenge)(nil), "signin_challenges_account", "account_id"},
			{(*challenge)(nil), "signin_challenges_destination", "destination"},
			{(*session)(nil), "signin_sessions_account", "account_id"},
			{(*refreshToken)(nil), "signin_refresh_session", "session_id"},
		} {
			if _, err := tx.NewCreateIndex().Model(ix.model).Index(ix.name).Column(ix.field).IfNotExists().Exec(ctx); err != nil {
				return fmt.Errorf("create index %s: %w", ix.name, err)
			}
		}
		return nil
	}},
}}

// migrate applies the sign-in tables' pending migrations.
func migrate(ctx context.Context, db *sqldb.DB) error {
	if _, err := schema.Up(ctx, db, Migrations); err != nil {
		return fmt.Errorf("signin: %w", err)
	}
	return nil
}
