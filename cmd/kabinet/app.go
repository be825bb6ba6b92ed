package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/commands/signin"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/observability"
	"github.com/kabinet/kabinet/platform/pii"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/notifications"
)

// App is one wired Kabinet: stores, handlers, projections and the router.
type App struct {
	Config Config
	Logger *slog.Logger
	Events *sqldb.DB
	Read   *sqldb.DB
	// Store is the event store as commands and projections see it:
	// personal fields opened (pii.Store over RawStore).
	Store eventstore.Store
	// RawStore holds the stored bytes, personal fields sealed: what the
	// journal reads and hashes.
	RawStore eventstore.Store
	// Codec seals and opens personal fields with the accounts' data keys.
	Codec   *pii.Codec
	Runner  *projections.Runner
	Handler http.Handler
	// OpsHandler serves only health, readiness and metrics (worker role).
	OpsHandler http.Handler
	// AdminHandler serves /metrics and /debug/pprof on Config.AdminAddr
	// (nil when none is set: then /metrics is on the API address).
	AdminHandler http.Handler
	// AdminListener, when set, is where Serve serves AdminHandler instead
	// of listening on Config.AdminAddr (tests).
	AdminListener net.Listener
	Issuer        *auth.Issuer
	Metrics       *observability.Metrics
	Journal       *journal.Journal
	JournalDB     *sqldb.DB
	// JournalWriter journals every action: from the event log and its inbox.
	JournalWriter *journaling.Writer
	Commands      commands.Application
	Scheduler     *scheduler.Scheduler  // periodic jobs (document expiry), worker role
	Notifications *notifications.Outbox // delivers notification rows; its jobs run in Scheduler
	// Sessions holds citizens' credentials and sessions (signing in).
	Sessions *signin.Service
	closers  []func() error
	// created names the files serve's start-up created in the data dir.
	created []string
}

// consentVersion is the consent text the web registration asks for.
const consentVersion = domain.CurrentConsentVersion

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// ensureDataDir creates the data dir private to the service's user.
func ensureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	return nil
}

// jwtSecret is KABINET_JWT_SECRET when set, else the data dir's dev secret.
func jwtSecret(c Config) ([]byte, error) {
	if c.JWTSecret != "" {
		return auth.SecretFromEnv(c.JWTSecret)
	}
	return auth.LoadOrCreateSecret(c.DataDir)
}

// tokenVerifier accepts Kabinet's own tokens and, with an OIDC issuer
// configured, staff tokens from that provider only.
func tokenVerifier(c Config, secret []byte, clock func() time.Time) (auth.TokenVerifier, error) {
	own := auth.NewVerifier(secret, clock)
	if c.OIDCIssuer == "" {
		return own, nil
	}
	staff, err := auth.NewOIDCVerifier(auth.OIDCConfig{
		Issuer: c.OIDCIssuer, Audience: c.OIDCAudience, RoleClaim: c.OIDCRoleClaim, Clock: clock,
	})
	if err != nil {
		return nil, fmt.Errorf("staff sign-in: %w", err)
	}
	return auth.StaffAndCitizens{Own: own, Staff: staff}, nil
}

// onlyRole admits one role; anyone else is denied as if the route did not
// exist (404), and the denial reaches the guard's hook (the journal).
func onlyRole(g *auth.Guard, role auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := auth.FromContext(r.Context())
			switch {
			case !ok:
				g.Deny(w, r, http.StatusUnauthorized, "unauthorized")
			case p.Role != role:
				g.Deny(w, r, http.StatusNotFound, "not_found")
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// ready reports whether the stores answer.
func (a *App) ready(ctx context.Context) error {
	if err := a.Events.PingContext(ctx); err != nil {
		return fmt.Errorf("event store: %w", err)
	}
	if err := a.Read.PingContext(ctx); err != nil {
		return fmt.Errorf("read store: %w", err)
	}
	return checkDiskFree(a.Config.DataDir)
}

// Close releases every store, newest first.
func (a *App) Close() error {
	var errs []error
	for _, c := range a.closers {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

// tracedRouter serves through otelhttp while a tracer provider records
// spans, and is still the chi router for whoever walks its routes (the
// OpenAPI test, the fuzz targets). With no provider recording, a request
// only carries the caller's trace context on (into the events it writes):
// otelhttp's span and attributes would be dropped unseen, at ~6 % of a
// cabinet read's CPU.
type tracedRouter struct {
	chi.Router
	traced http.Handler
}

func (t tracedRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if observability.Recording() {
		t.traced.ServeHTTP(w, r)
		return
	}
	t.Router.ServeHTTP(w, r.WithContext(observability.ExtractTrace(r)))
}
