package main

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/kabinet/kabinet/commands"
	"github.com/kabinet/kabinet/commands/cmdhttp"
	"github.com/kabinet/kabinet/commands/journaling"
	"github.com/kabinet/kabinet/commands/registry"
	"github.com/kabinet/kabinet/commands/scheduler"
	"github.com/kabinet/kabinet/commands/signin"
	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/httpx"
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

// wiring carries what one construction step of buildApp hands to the
// next; each step is one of its methods.
type wiring struct {
	c        Config
	a        *App
	reg      *prometheus.Registry
	secret   []byte
	keysDB   *sqldb.DB
	hmacKey  []byte
	clock    func() time.Time
	outbox   *delivery.OutboxFile
	notifier delivery.Notifier
	deps     commands.Deps
	gateway  *commands.PaymentGateway
	shred    *shredder
	ender    *sessionEnder
	desk     *deskWiring
	idem     *cmdhttp.Idempotency
	tracker  *projections.Tracker
	poison   *poison.Queue
}

// buildApp wires everything for serve (and for tests): stores, command
// handlers, scheduled jobs, projections, the journal and the router, in
// that order, each step using what the ones before it built.
func buildApp(ctx context.Context, c Config, logOut io.Writer) (*App, error) {
	if err := ensureDataDir(c.DataDir); err != nil {
		return nil, err
	}
	w := &wiring{c: c}
	steps := []func(context.Context, io.Writer) error{
		w.openStorage, w.commandHandlers, w.scheduledJobs, w.projectionRunner, w.journalWriter, w.router,
	}
	for _, step := range steps {
		if err := step(ctx, logOut); err != nil {
			if w.a != nil {
				w.a.Close()
			}
			return nil, err
		}
	}
	return w.a, nil
}

// openStorage opens the logger, the token secret, the event, read and
// journal databases (migrated), and the event store with personal fields
// sealed under per-account keys.
func (w *wiring) openStorage(ctx context.Context, logOut io.Writer) error {
	c := w.c
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(c.LogLevel))
	logger := observability.NewLogger(logOut, level, c.LogFormat != "text")
	secret, err := jwtSecret(c)
	if err != nil {
		return err
	}
	w.secret = secret
	eventsDB, readDB, baseStore, err := openStores(ctx, c)
	if err != nil {
		return err
	}
	w.reg = prometheus.NewRegistry()
	w.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := observability.NewMetrics(w.reg)
	raw := eventstore.Instrumented(baseStore, metrics)
	a := &App{Config: c, Logger: logger, Events: eventsDB, Read: readDB, RawStore: raw, Metrics: metrics}
	w.a = a
	a.closers = append(a.closers, raw.Close, eventsDB.Close)
	if readDB != eventsDB {
		a.closers = append(a.closers, readDB.Close)
	}
	journalDB, owned, err := openJournalDB(ctx, c, eventsDB)
	if err != nil {
		return err
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
		return err
	}
	// Personal fields are sealed with per-account keys kept in the system
	// database; everything but the journal sees them opened.
	codec, keysDB, closeKeys, err := openCodec(ctx, c, eventsDB)
	if err != nil {
		return err
	}
	a.Codec, w.keysDB = codec, keysDB
	a.closers = append([]func() error{closeKeys}, a.closers...)
	a.Store = pii.NewStore(raw, a.Codec)
	return nil
}

// commandHandlers builds the write side: delivery of codes, the keys of
// one-time codes and claims, applications with payments, identity with
// scans, registries and e-signatures, closure, and the desk.
func (w *wiring) commandHandlers(ctx context.Context, _ io.Writer) error {
	a, c, store := w.a, w.c, w.a.Store
	outbox, err := delivery.OpenOutboxFile(c.DataDir)
	if err != nil {
		return err
	}
	w.outbox = outbox
	a.closers = append([]func() error{outbox.Close}, a.closers...)
	// One-time codes and the claim streams' names are keyed with their own
	// key, so rotating the token secret loses neither.
	hmacKey, err := secrets.FromEnvOrFile("KABINET_HMAC_KEY", os.Getenv("KABINET_HMAC_KEY"),
		filepath.Join(c.DataDir, "hmac.key"), "hmac key", secrets.Size)
	if err != nil {
		return err
	}
	w.hmacKey = hmacKey
	hasher, err := domain.NewHMACCodeHasher(hmacKey)
	if err != nil {
		return err
	}
	w.clock = func() time.Time { return time.Now().UTC() }
	if c.clock != nil {
		w.clock = c.clock
	}
	notifier, err := openDelivery(ctx, c, a.Read, outbox, w.clock, a.Logger)
	if err != nil {
		return err
	}
	if c.alsoNotify != nil {
		notifier = delivery.Fanout{notifier, c.alsoNotify}
	}
	w.notifier = notifier
	w.deps = commands.Deps{
		Repo:     commands.NewRepository(store, newID),
		Claims:   commands.NewContactClaims(store, hmacKey, newID),
		Notifier: notifier, Clock: w.clock, Random: rand.Reader, Hasher: hasher, NewID: newID,
	}
	if w.deps.CodeLimit, err = commands.NewCodeLimit(ctx, a.Read, hmacKey, w.clock); err != nil {
		return err
	}
	if err := w.applicationDeps(); err != nil {
		return err
	}
	simulator, err := w.identityDeps(ctx)
	if err != nil {
		return err
	}
	// Erasure's shredder gets the journal and the projections once they are
	// built; closure ends every session through the sign-in service built
	// with the router.
	w.shred = &shredder{codec: a.Codec, store: store, blobs: w.deps.Identity.Blobs, outbox: outbox, wait: 10 * time.Second}
	w.deps.Closure.Shredder = w.shred
	w.ender = &sessionEnder{}
	w.deps.Closure.Sessions = w.ender
	a.Commands = commands.NewApplication(w.deps)
	// The rest of the cabinet (support, visits, complaints, fines, reminders).
	w.desk, err = wireDesk(ctx, a, w.deps, simulator)
	return err
}

// applicationDeps wires applications: numbers, the application → account
// index and payment claims are streams in the event store; the gateway
// secret is KABINET_PAYMENT_SECRET or <data-dir>/payment.secret.
func (w *wiring) applicationDeps() error {
	calendar, err := newCalendar(w.c, w.a.Logger, w.reg)
	if err != nil {
		return err
	}
	store := w.a.Store
	w.deps.Applications = commands.ApplicationDeps{
		Calendar: calendar, Numbers: commands.NewApplicationNumbers(store, newID),
		Index: commands.NewApplicationIndex(store, newID), Payments: commands.NewPaymentClaims(store, newID),
	}
	paySecret, err := commands.LoadPaymentSecret(os.Getenv("KABINET_PAYMENT_SECRET"), w.c.DataDir)
	if err != nil {
		return err
	}
	w.gateway, err = commands.NewPaymentGateway(paySecret)
	return err
}

// identityDeps wires identity: scans sealed with their account's data key,
// in <data-dir>/blobs or, to be shared by every instance, in the
// PostgreSQL read store; the registry simulator; SNILS/INN claim streams.
func (w *wiring) identityDeps(ctx context.Context) (*registry.Simulator, error) {
	a := w.a
	blobs, err := openScans(ctx, w.c, a.Read, a.Codec.Keys())
	if err != nil {
		return nil, err
	}
	identifiers := commands.NewIdentifierClaims(a.Store, w.hmacKey, newID)
	signatures, err := esignVerifier(w.c, a.Logger)
	if err != nil {
		return nil, err
	}
	simulator := registry.NewSimulator(identifiers, commands.BankOutbox{Notifier: w.notifier, Clock: w.clock})
	w.deps.Identity = commands.IdentityDeps{
		Blobs: blobs, Registries: simulator.Registries(),
		Calendar: w.deps.Applications.Calendar, Identifiers: identifiers, ESign: signatures,
	}
	return simulator, nil
}

// scheduledJobs builds the worker's periodic jobs: document expiry,
// clarification and unpaid-fee timeouts, notification delivery and
// digests, idempotency purge, retention, and the desk's jobs.
func (w *wiring) scheduledJobs(ctx context.Context, _ io.Writer) error {
	a, readDB, store, app := w.a, w.a.Read, w.a.Store, w.a.Commands
	var err error
	if w.idem, err = cmdhttp.NewIdempotency(ctx, readDB, w.clock); err != nil {
		return err
	}
	expiry, err := scheduler.NewDocumentExpiry(ctx, readDB, store, app.ExpireDocuments.ExpireAccount, a.Logger)
	if err != nil {
		return err
	}
	timeouts, err := scheduler.NewClarificationTimeouts(ctx, readDB, store, app.Applications.TimeoutClarification.TimeoutApplication, a.Logger)
	if err != nil {
		return err
	}
	// The outbox delivers the notification projection's rows through the
	// notifier and sends the daily and weekly digests.
	a.Notifications = notifications.NewOutbox(readDB, w.notifier, w.clock, a.Logger)
	unpaid, err := scheduler.NewUnpaidFeeTimeouts(ctx, readDB, store, app.Applications.TimeoutUnpaidFee.TimeoutApplication, a.Logger)
	if err != nil {
		return err
	}
	retention, err := scheduler.NewRetention(ctx, readDB, store, w.c.Retention, app.ErasePersonalData.EraseAccount, w.shred.Shred, a.Logger)
	if err != nil {
		return err
	}
	jobs := []scheduler.Job{expiry, timeouts, unpaid, a.Notifications.DeliveryJob(), a.Notifications.DigestJob(), w.idem.PurgeJob(), retention}
	a.Scheduler = scheduler.New(scheduler.Options{Clock: w.clock, Logger: a.Logger}, append(jobs, w.desk.jobs...)...)
	return nil
}

// projectionRunner builds the read models' runner with its checkpoints,
// poison queue and position tracker, and migrates their tables.
func (w *wiring) projectionRunner(ctx context.Context, _ io.Writer) error {
	a, readDB := w.a, w.a.Read
	cps, err := esbus.NewSQLCheckpoints(ctx, readDB)
	if err != nil {
		return err
	}
	if w.poison, err = poison.New(ctx, readDB, poison.Options{}); err != nil {
		return err
	}
	w.tracker = projections.NewTracker(readDB)
	runnerDB, owned, err := openRebuildable(ctx, readDB)
	if err != nil {
		return err
	}
	if owned { // closed before the read store it shares a file with
		a.closers = append([]func() error{runnerDB.Close}, a.closers...)
	}
	a.Runner = &projections.Runner{
		DB: runnerDB, Store: a.Store, Checkpoint: cps, Poison: w.poison, Tracker: w.tracker, Logger: a.Logger,
		Projectors: append([]projections.Projector{cabinet.NewProjector(), applications.NewProjector(),
			notifications.NewProjector(), operatorqueue.NewProjector(), audit.NewProjector()}, w.desk.projectors...), Observer: a.Metrics,
	}
	return a.Runner.Migrate(ctx)
}

// journalWriter opens the journal over the stored (sealed) events and
// the writer that journals every action; erasure's shredder gets both.
func (w *wiring) journalWriter(ctx context.Context, _ io.Writer) error {
	a := w.a
	var err error
	if a.Journal, err = openJournal(ctx, w.c, a.JournalDB, a.RawStore); err != nil {
		return err
	}
	a.JournalWriter, err = journaling.New(ctx, journaling.Config{
		Store: a.RawStore, DB: a.JournalDB, Journal: a.Journal, Logger: a.Logger, Observer: a.Metrics,
		RevealMetadata: revealMetadata(a.Codec),
	})
	if err != nil {
		return err
	}
	w.shred.journal, w.shred.writer, w.shred.runner, w.shred.poison = a.Journal, a.JournalWriter, a.Runner, w.poison
	w.shred.targets = shredTargets(w.keysDB, a.Events, a.Read, a.JournalDB)
	return nil
}

// router builds authentication, rate limits, signing in, and the HTTP
// routes of the API, the web cabinet and the operations endpoints.
func (w *wiring) router(ctx context.Context, _ io.Writer) error {
	a, c, readDB := w.a, w.c, w.a.Read
	a.Issuer = &auth.Issuer{Secret: w.secret, Clock: w.clock}
	verifier, err := tokenVerifier(c, w.secret, w.clock)
	if err != nil {
		return err
	}
	guard := auth.NewGuard()
	guard.OnDenied = a.journalDenied
	limits, err := newLimits(ctx, c, readDB, w.clock)
	if err != nil {
		return err
	}
	guard.Throttle = limits.throttleDenied
	if a.Sessions, err = openSignin(ctx, c, w.deps, readDB, a.Issuer, w.hmacKey); err != nil {
		return err
	}
	w.ender.s = a.Sessions
	guard.Sessions = a.Sessions
	query := readapi.New(readapi.Config{
		Cabinet: cabinet.NewReader(readDB), Tracker: w.tracker, Guard: guard,
		MinPositionWait: c.MinPositionWait, Ready: a.ready, Poisoned: w.poison.Pending,
		Histories:  readapi.NewSealedHistories(a.RawStore, a.Codec).WithProofs(a.Journal),
		StaffReads: a.journalStaffRead, StaffReadsMany: a.journalStaffReads,
		Applications: applications.NewReader(readDB), Notifications: notifications.NewReader(readDB),
		Queue: operatorqueue.NewReader(readDB), Audit: audit.NewReader(readDB), Clock: w.clock,
	})
	r := w.apiRoutes(guard, verifier, limits, query)
	// The web cabinet's pages call the API above in-process; in
	// development a fee can be paid through the embedded test gateway.
	webCfg := web.Config{
		API:    http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { a.Handler.ServeHTTP(w, req) }),
		Secure: c.Env != "development", Transliterate: domain.Transliterate, Logger: a.Logger,
		ConsentVersion: consentVersion,
	}
	if c.Env == "development" {
		webCfg.TestGateway = w.gateway.Sign
	}
	webCfg.Staff = staffWeb(c, verifier, a.Journal.PublicKey())
	web.New(webCfg).Routes(r)
	// Each request is a span (a trace when the OTEL_* variables enable it).
	a.Handler = tracedRouter{Router: r, traced: otelhttp.NewHandler(r, "http.server")}
	ops := chi.NewRouter()
	ops.Use(httpx.SecureHeaders, observability.CorrelationID, a.Metrics.Middleware)
	query.PublicRoutes(ops)
	if c.AdminAddr == "" {
		ops.Method(http.MethodGet, "/metrics", observability.Handler(w.reg))
	} else {
		a.AdminHandler = adminHandler(w.reg)
	}
	a.OpsHandler = ops
	return nil
}

// apiRoutes mounts the API: public routes (reads, journal checkpoints,
// registration, payments, signing in) and authenticated ones, with the
// middleware each group needs.
func (w *wiring) apiRoutes(guard *auth.Guard, verifier auth.TokenVerifier, lim *limits, query *readapi.Server) chi.Router {
	a, c := w.a, w.c
	cmdHTTP := cmdhttp.NewHTTP(a.Commands, a.Sessions, guard, newID)
	signinHTTP := signin.NewHTTP(a.Sessions, guard, a.journalSignin, newID)
	// Every command route: refusals that wrote no events go to the journal.
	refusals := cmdhttp.JournalRefusals(a.journalRefused)
	// Registration and one-time codes are throttled per client IP.
	limited := limitSensitive(lim.sensitive)
	payLimited := ratelimit.Middleware(lim.payment, ratelimit.ByIP)
	commandMW := func(r chi.Router) chi.Router { return r.With(limited, refusals, w.idem.Middleware) }
	// Payment callbacks: rate-limited, the signature checked before the
	// idempotency layer buffers anything.
	paymentMW := func(r chi.Router) chi.Router { return r.With(payLimited, refusals) }
	deskPublic, deskPrivate := w.desk.routes(query, cmdHTTP, w.gateway, commandMW, paymentMW, w.idem.Middleware)
	r := chi.NewRouter()
	r.Use(httpx.ClientAddress(c.TrustedProxies), httpx.SecureHeaders,
		observability.CorrelationID, observability.SpanRoute, a.Metrics.Middleware, observability.AccessLog(a.Logger), httpx.Recoverer,
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
			r.Method(http.MethodGet, "/metrics", observability.Handler(w.reg))
		}
		commandMW(r).Group(cmdHTTP.PublicRoutes)
		// The signature is checked before the idempotency layer buffers.
		paymentMW(r).Group(cmdHTTP.PaymentRoutes(w.gateway, w.idem.Middleware))
		// Signing in journals its own steps and answers credentials, which
		// no idempotency record may keep.
		r.With(limited).Group(signinHTTP.PublicRoutes)
		deskPublic(r)
	})
	r.Group(func(r chi.Router) {
		r.Use(guard.Authenticate(verifier))
		query.Routes(r)
		commandMW(r).Group(cmdHTTP.Routes)
		commandMW(r).Group(cmdHTTP.ApplicationRoutes)
		commandMW(r).Group(cmdHTTP.IdentityRoutes)
		r.With(limited).Group(signinHTTP.Routes)
		deskPrivate(r)
		r.With(refusals, w.idem.Middleware).Group(cmdHTTP.ClosureRoutes)
	})
	return r
}

// staffWeb is the staff pages' sign-in through the identity provider
// whose tokens verifier accepts for staff: the web is the client whose id
// is the API's audience, so its ID tokens are staff tokens the API takes.
// nil without a provider (embedded development mode).
func staffWeb(c Config, verifier auth.TokenVerifier, journalKey string) *web.StaffConfig {
	sc, ok := verifier.(auth.StaffAndCitizens)
	if !ok || sc.Staff == nil {
		return nil
	}
	reasons := slices.DeleteFunc(domain.RejectionReasons(), func(r string) bool { return r == domain.ReasonClarificationTimeout })
	return &web.StaffConfig{Provider: sc.Staff, ClientID: c.OIDCAudience, ClientSecret: c.OIDCClientSecret,
		RedirectURL: c.OIDCRedirectURL, JournalKey: journalKey, RejectionReasons: reasons,
		IdentityRejectionReasons: domain.VerificationRejectionReasons()}
}
