package auth

import (
	"context"

	"github.com/google/uuid"
)

// Principal is who a verified token speaks for.
type Principal struct {
	// Subject is the actor id (the token's sub).
	Subject string
	// Role decides what the principal may do.
	Role Role
	// AccountID is the citizen's own account; uuid.Nil for staff.
	AccountID uuid.UUID
	// SessionID is the sign-in session the token belongs to (its sid);
	// empty for tokens outside any session (staff, development tokens).
	// A Guard with Sessions refuses a token whose session has ended.
	SessionID string
	// TokenID is the token's own id (its jti); empty when it has none.
	TokenID string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal; false when the request
// carries no verified token.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// HasRole reports whether p has one of roles.
func HasRole(p Principal, roles ...Role) bool {
	for _, r := range roles {
		if !r.IsZero() && p.Role == r {
			return true
		}
	}
	return false
}

// CanAccessAccount is the owner rule: a citizen may act only on its own
// account; staff may when their role is one of staffRoles. Listing
// RoleCitizen among staffRoles grants nothing more: a citizen never reaches
// another citizen's account.
func CanAccessAccount(p Principal, accountID uuid.UUID, staffRoles ...Role) bool {
	if p.Role == RoleCitizen {
		return accountID != uuid.Nil && p.AccountID == accountID
	}
	return p.Role.IsStaff() && HasRole(p, staffRoles...)
}
