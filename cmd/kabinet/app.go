package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/commands/signin"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/httpx"
	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/journal/journalhttp"
	"github.com/kabinet/kabinet/platform/observability"
	"github.com/kabinet/kabinet/platform/pii"
	"github.com/kabinet/kabinet/platform/ratelimit"
	"github.com/kabinet/kabinet/platform/secrets"
	"github.com/kabinet/kabinet/platform/sqldb"
	"github.com/kabinet/kabinet/projections"
	"github.com/kabinet/kabinet/projections/applications"
	"github.com/kabinet/kabinet/projections/audit"
	"github.com/kabinet/kabinet/projections/cabinet"
	"github.com/kabinet/kabinet/projections/esbus"
	"github.com/kabinet/kabinet/projections/notifications"
	"github.com/kabinet/kabinet/projections/operatorqueue"
	"github.com/kabinet/kabinet/projections/poison"
	"github.com/kabinet/kabinet/readapi"
	"github.com/kabinet/kabinet/web"
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

// buildApp wires everything for serve (and for tests).
func buildApp(ctx context.Context, c Config, logOut io.Writer) (*App, error) {
	if err := ensureDataDir(c.DataDir); err != nil {
		return nil, err
	}
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(c.LogLevel))
	logger := observability.NewLogger(logOut, level, c.LogFormat != "text")
	secret, err := jwtSecret(c)
	if err != nil {
		return nil, err
	}
	eventsDB, readDB, baseStore, err := openStores(ctx, c)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := observability.NewMetrics(reg)
	raw := eventstore.Instrumented(baseStore, metrics)
	a := &App{Config: c, Logger: logger, Events: eventsDB, Read: readDB, RawStore: raw, Metrics: metrics}
	a.closers = append(a.closers, raw.Close, eventsDB.Close)
	if readDB != eventsDB {
		a.closers = append(a.closers, readDB.Close)
	}
	fail := func(err error) (*App, error) { a.Close(); return nil, err }
	journalDB, owned, err := openJournalDB(ctx, c, eventsDB)
	if err != nil {
		return fail(err)
	}
	if owned {
		a.closers = append([]func() error{journalDB.Close}, a.closers...)
	}
	a.JournalDB = journalDB
	// Every database's pending migrations, before anything uses a table.
	var sqlEvents *sqldb.DB
	if _, ok := kurrentConnString(c.EventStore); !ok {
		sqlEvents = eventsDB
	}
	if err := migrateAll(ctx, schemaPlan(sqlEvents, journalDB, readDB), logger); err != nil {
		return fail(err)
	}
	// Personal fields are sealed with per-account keys kept in the system
	// database; everything but the journal sees them opened.
	codec, keysDB, closeKeys, err := openCodec(ctx, c, eventsDB)
	if err != nil {
		return fail(err)
	}
	a.Codec = codec
	a.closers = append([]func() error{closeKeys}, a.closers...)
	store := pii.NewStore(raw, a.Codec)
	a.Store = store

	outbox, err := delivery.OpenOutboxFile(c.DataDir)
	if err != nil {
		return fail(err)
	}
	a.closers = append([]func() error{outbox.Close}, a.closers...)
	// One-time codes and the claim streams' names are keyed with their own
	// key, so rotating the token secret loses neither.
	hmacKey, err := secrets.FromEnvOrFile("KABINET_HMAC_KEY", os.Getenv("KABINET_HMAC_KEY"),
		filepath.Join(c.DataDir, "hmac.key"), "hmac key", secrets.Size)
	if err != nil {
		return fail(err)
	}
	hasher, err := domain.NewHMACCodeHasher(hmacKey)
	if err != nil {
		return fail(err)
	}
	clock := func() time.Time { return time.Now().UTC() }
	if c.clock != nil {
		clock = c.clock
	}
	notifier, err := openDelivery(ctx, c, readDB, outbox, clock, logger)
	if err != nil {
		return fail(err)
	}
	if c.alsoNotify != nil {
		notifier = delivery.Fanout{notifier, c.alsoNotify}
	}
	deps := commands.Deps{
		Repo:     commands.NewRepository(store, newID),
		Claims:   commands.NewContactClaims(store, hmacKey, newID),
		Notifier: notifier, Clock: clock, Random: rand.Reader, Hasher: hasher, NewID: newID,
	}
	if deps.CodeLimit, err = commands.NewCodeLimit(ctx, readDB, hmacKey, clock); err != nil {
		return fail(err)
	}
	// Applications: numbers, the application → account index and
	// payment claims are streams in the event store; the gateway secret is
	// KABINET_PAYMENT_SECRET or <data-dir>/payment.secret.
	calendar, err := newCalendar(c, logger, reg)
	if err != nil {
		return fail(err)
	}
	deps.Applications = commands.ApplicationDeps{
		Calendar: calendar, Numbers: commands.NewApplicationNumbers(store, newID),
		Index: commands.NewApplicationIndex(store, newID), Payments: commands.NewPaymentClaims(store, newID),
	}
	paySecret, err := commands.LoadPaymentSecret(os.Getenv("KABINET_PAYMENT_SECRET"), c.DataDir)
	if err != nil {
		return fail(err)
	}
	gateway, err := commands.NewPaymentGateway(paySecret)
	if err != nil {
		return fail(err)
	}
	// Identity: scans sealed with their account's data key, in <data-dir>/blobs or, to
	// be shared by every instance, in the PostgreSQL read store; the
	// registry simulator; SNILS/INN claim streams.
	blobs, err := openScans(ctx, c, readDB, a.Codec.Keys())
	if err != nil {
		return fail(err)
	}
	identifiers := commands.NewIdentifierClaims(store, hmacKey, newID)
	signatures, err := esignVerifier(c, logger)
	if err != nil {
		return fail(err)
	}
	bank := commands.BankOutbox{Notifier: notifier, Clock: clock}
	simulator := registry.NewSimulator(identifiers, bank)
	deps.Identity = commands.IdentityDeps{
		Blobs: blobs, Registries: simulator.Registries(),
		Calendar: calendar, Identifiers: identifiers, ESign: signatures,
	}
	// Erasure's shredder gets the journal and the projections once they are
	// built below.
	shred := &shredder{codec: a.Codec, store: store, blobs: blobs, outbox: outbox, wait: 10 * time.Second}
	deps.Closure.Shredder = shred
	// Closure ends every session through the sign-in service built below.
	ender := &sessionEnder{}
	deps.Closure.Sessions = ender
	app := commands.NewApplication(deps)
	a.Commands = app
	// The rest of the cabinet (support, visits, complaints, fines, reminders).
	desk, err := wireDesk(ctx, a, deps, simulator)
	if err != nil {
		return fail(err)
	}
	idem, err := commands.NewIdempotency(ctx, readDB, clock)
	if err != nil {
		return fail(err)
	}
	expiry, err := scheduler.NewDocumentExpiry(ctx, readDB, store, app.ExpireDocuments.ExpireAccount, logger)
	if err != nil {
		return fail(err)
	}
	timeouts, err := commands.NewClarificationTimeouts(ctx, readDB, store, app.Applications.TimeoutClarification, logger)
	if err != nil {
		return fail(err)
	}
	// Notifications (issues 3, 4): the outbox delivers the projection's
	// rows through the notifier and sends the daily and weekly digests.
	a.Notifications = notifications.NewOutbox(readDB, notifier, clock, logger)
	unpaid, err := commands.NewUnpaidFeeTimeouts(ctx, readDB, store, app.Applications.TimeoutUnpaidFee, logger)
	if err != nil {
		return fail(err)
	}
	retention, err := scheduler.NewRetention(ctx, readDB, store, c.Retention, app.ErasePersonalData.EraseAccount, shred.Shred, logger)
	if err != nil {
		return fail(err)
	}
	jobs := []scheduler.Job{expiry, timeouts, unpaid, a.Notifications.DeliveryJob(), a.Notifications.DigestJob(), idem.PurgeJob(), retention}
	a.Scheduler = scheduler.New(scheduler.Options{Clock: clock, Logger: logger}, append(jobs, desk.jobs...)...)

	cps, err := esbus.NewSQLCheckpoints(ctx, readDB)
	if err != nil {
		return fail(err)
	}
	pq, err := poison.New(ctx, readDB, poison.Options{})
	if err != nil {
		return fail(err)
	}
	tracker := projections.NewTracker(readDB)
	a.Runner = &projections.Runner{
		DB: readDB, Store: store, Checkpoint: cps, Poison: pq, Tracker: tracker, Logger: logger,
		Projectors: append([]projections.Projector{cabinet.NewProjector(), applications.NewProjector(),
			notifications.NewProjector(), operatorqueue.NewProjector(), audit.NewProjector()}, desk.projectors...), Observer: a.Metrics,
	}
	if err := a.Runner.Migrate(ctx); err != nil {
		return fail(err)
	}

	if a.Journal, err = openJournal(ctx, c, journalDB, raw); err != nil {
		return fail(err)
	}
	a.JournalWriter, err = journaling.New(ctx, journaling.Config{
		Store: raw, DB: journalDB, Journal: a.Journal, Logger: logger, Observer: a.Metrics,
		RevealMetadata: revealMetadata(a.Codec),
	})
	if err != nil {
		return fail(err)
	}
	shred.journal, shred.writer, shred.runner, shred.poison = a.Journal, a.JournalWriter, a.Runner, pq
	shred.targets = shredTargets(keysDB, eventsDB, readDB, journalDB)

	a.Issuer = &auth.Issuer{Secret: secret, Clock: clock}
	verifier, err := tokenVerifier(c, secret, clock)
	if err != nil {
		return fail(err)
	}
	guard := auth.NewGuard()
	guard.OnDenied = a.journalDenied
	limits, err := newLimits(ctx, c, readDB, clock)
	if err != nil {
		return fail(err)
	}
	guard.Throttle = limits.throttleDenied
	if a.Sessions, err = openSignin(ctx, c, deps, readDB, a.Issuer, hmacKey); err != nil {
		return fail(err)
	}
	ender.s = a.Sessions
	guard.Sessions = a.Sessions
	cmdHTTP := commands.NewHTTP(app, a.Sessions, guard, newID)
	signinHTTP := signin.NewHTTP(a.Sessions, guard, a.journalSignin, newID)
	query := readapi.New(readapi.Config{
		Cabinet: cabinet.NewReader(readDB), Tracker: tracker, Guard: guard,
		MinPositionWait: c.MinPositionWait, Ready: a.ready, Poisoned: pq.Pending, Histories: readapi.NewSealedHistories(raw, a.Codec).WithProofs(a.Journal),
		StaffReads: a.journalStaffRead, StaffReadsMany: a.journalStaffReads,
		Applications: applications.NewReader(readDB), Notifications: notifications.NewReader(readDB),
		Queue: operatorqueue.NewReader(readDB), Audit: audit.NewReader(readDB), Clock: clock,
	})
	// Every command route: refusals that wrote no events go to the journal.
	refusals := commands.JournalRefusals(a.journalRefused)
	// Registration and one-time codes are throttled per client IP.
	limited := limitSensitive(limits.sensitive)
	payLimited := ratelimit.Middleware(limits.payment, ratelimit.ByIP)

	withCommands := func(r chi.Router) chi.Router { return r.With(limited, refusals, idem.Middleware) }
	deskPublic, deskPrivate := desk.routes(query, cmdHTTP, gateway, withCommands)
	r := chi.NewRouter()
	r.Use(httpx.ClientAddress(c.TrustedProxies), httpx.SecureHeaders,
		observability.CorrelationID, observability.SpanRoute, a.Metrics.Middleware, observability.AccessLog(logger), httpx.Recoverer,
		httpx.CleanInput, httpx.Deadline(c.RequestTimeout))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { httpx.WriteError(w, r, httpx.NotFound("no such route")) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, httpx.MethodNotAllowed())
	})
	r.Group(func(r chi.Router) {
		r.Use(guard.Optional(verifier))
		query.PublicRoutes(r)
		// Checkpoints, consistency proofs and the key are public; entries,
		// verification and inclusion proofs are for the security role.
		r.Group(func(r chi.Router) {
			journalhttp.Routes(r, a.Journal, onlyRole(guard, auth.RoleSecurity), a.journalSecurityRead)
		})
		if c.AdminAddr == "" {
			r.Method(http.MethodGet, "/metrics", observability.Handler(reg))
		}
		r.With(limited, refusals, idem.Middleware).Group(cmdHTTP.PublicRoutes)
		// The signature is checked before the idempotency layer buffers.
		r.With(payLimited, refusals).Group(cmdHTTP.PaymentRoutes(gateway, idem.Middleware))
		// Signing in journals its own steps and answers credentials, which
		// no idempotency record may keep.
		r.With(limited).Group(signinHTTP.PublicRoutes)
		deskPublic(r)
	})
	r.Group(func(r chi.Router) {
		r.Use(guard.Authenticate(verifier))
		query.Routes(r)
		r.With(limited, refusals, idem.Middleware).Group(cmdHTTP.Routes)
		r.With(limited, refusals, idem.Middleware).Group(cmdHTTP.ApplicationRoutes)
		r.With(limited, refusals, idem.Middleware).Group(cmdHTTP.IdentityRoutes)
		r.With(limited).Group(signinHTTP.Routes)
		deskPrivate(r)
		r.With(refusals, idem.Middleware).Group(cmdHTTP.ClosureRoutes)
	})
	// The web cabinet's pages call the API above in-process.
	web.New(web.Config{
		API:    http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { a.Handler.ServeHTTP(w, req) }),
		Secure: os.Getenv("KABINET_ENV") == "production", Transliterate: domain.Transliterate, Logger: logger,
		ConsentVersion: consentVersion,
	}).Routes(r)
	// Each request is a span (a trace when the OTEL_* variables enable it).
	a.Handler = tracedRouter{Router: r, traced: otelhttp.NewHandler(r, "http.server")}
	ops := chi.NewRouter()
	ops.Use(httpx.SecureHeaders, observability.CorrelationID, a.Metrics.Middleware)
	query.PublicRoutes(ops)
	if c.AdminAddr == "" {
		ops.Method(http.MethodGet, "/metrics", observability.Handler(reg))
	} else {
		a.AdminHandler = adminHandler(reg)
	}
	a.OpsHandler = ops
	return a, nil
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

// tracedRouter serves through otelhttp and is still the chi router for
// whoever walks its routes (the OpenAPI test, the fuzz targets).
type tracedRouter struct {
	chi.Router
	traced http.Handler
}

func (t tracedRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) { t.traced.ServeHTTP(w, r) }
