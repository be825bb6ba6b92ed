package main

import (
	"context"
	"crypto/rand"
	"net/http"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/signin"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/sqldb"
)

// openSignin builds the sign-in service over the read store, which every
// instance shares on PostgreSQL: credentials, challenges and sessions.
func openSignin(ctx context.Context, c Config, deps commands.Deps, readDB *sqldb.DB, issuer *auth.Issuer, key []byte) (*signin.Service, error) {
	return signin.New(ctx, signin.Config{
		DB: readDB, Repo: deps.Repo, Claims: deps.Claims, Notifier: deps.Notifier, CodeLimit: deps.CodeLimit,
		Issuer: issuer, Hasher: signin.NewHasher(c.Argon2, 4), Key: key,
		Clock: deps.Clock, Random: rand.Reader, NewID: newID, NoCache: c.noSessionCache,
	})
}

// journalSignin records a sign-in step (success, failure, lock, logout).
func (a *App) journalSignin(r *http.Request, action, accountID string, outcome journal.Outcome, reason string) {
	a.record(r, entryFor(r, action, accountID, outcome, reason))
}
