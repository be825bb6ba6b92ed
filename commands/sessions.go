package commands

import (
	"context"

	"github.com/google/uuid"
)

// SessionTokens are the credentials of a new sign-in session.
type SessionTokens struct {
	SessionID    string
	Token        string // the access token (a JWT carrying sid and jti)
	RefreshToken string // opaque; only its hash is stored
	ExpiresIn    int    // the access token's lifetime in seconds
}

// SessionOpener opens the first session of a newly registered account.
type SessionOpener interface {
	Open(ctx context.Context, accountID uuid.UUID, userAgent string) (SessionTokens, error)
}
