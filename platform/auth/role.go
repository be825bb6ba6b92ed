// Package auth is Kabinet's authentication and authorisation: HS256 bearer
// tokens (minted by Issuer, checked by Verifier), staff tokens from an OpenID
// Connect provider (OIDCVerifier, StaffAndCitizens), the Principal they carry,
// and the Guard that lets a request through or denies it. Deny by default:
// every route but the public few is mounted under Authenticate, and each
// handler states who may act (RequireRoles, AccountAccess).
package auth

import "fmt"

// Role is what a principal may do (docs/DOMAIN.md §9). The zero Role is no role.
type Role struct {
	s string
}

// The roles of docs/DOMAIN.md §9.
var (
	// RoleCitizen may act only on its own account.
	RoleCitizen = Role{"citizen"}
	// RoleOperator is service-centre or ministry staff: verification and
	// application decisions.
	RoleOperator = Role{"operator"}
	// RoleAuditor reads full histories, read-only.
	RoleAuditor = Role{"auditor"}
	// RoleSecurity reads the action journal.
	RoleSecurity = Role{"security"}
	// RoleAdmin runs operations.
	RoleAdmin = Role{"admin"}
)

var roles = []Role{RoleCitizen, RoleOperator, RoleAuditor, RoleSecurity, RoleAdmin}

// RoleFromString parses a role name as written in tokens and the API.
func RoleFromString(s string) (Role, error) {
	for _, r := range roles {
		if r.s == s {
			return r, nil
		}
	}
	return Role{}, fmt.Errorf("unknown role %q (want citizen, operator, auditor, security or admin)", s)
}

// String is the role's name ("" for the zero Role).
func (r Role) String() string { return r.s }

// IsZero reports whether r is no role.
func (r Role) IsZero() bool { return r == Role{} }

// IsStaff reports whether r is a staff role (anything but citizen).
func (r Role) IsStaff() bool { return !r.IsZero() && r != RoleCitizen }
