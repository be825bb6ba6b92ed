package main

import (
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kabinet/kabinet/commands/signin"
	"github.com/kabinet/kabinet/platform/delivery"
	"github.com/kabinet/kabinet/platform/httpx"
)

// Config is everything `kabinet serve` and the tools read, parsed once.
type Config struct {
	Addr            string
	DataDir         string
	EventStore      string // DSN: empty = <data-dir>/events.db
	ReadStore       string // DSN: empty = <data-dir>/read.db
	JWTSecret       string
	Role            string // api, worker, all
	LogLevel        string
	LogFormat       string
	MinPositionWait time.Duration
	ShutdownTimeout time.Duration
	RequestTimeout  time.Duration // bound of one request's work; a stalled store answers 503 then
	JournalKey      string        // PRIVATE+KEY+… note signing key; empty: <data-dir>/journal.key
	// JournalVerifierKey lets an API instance open the journal without
	// the signing key (KABINET_JOURNAL_VERIFIER_KEY).
	JournalVerifierKey string
	CheckpointEvery    uint64
	CheckpointInterval time.Duration
	RateLimit          int // per client IP a minute on registration and code endpoints; 0 off
	PaymentRateLimit   int // per client IP a minute on the payment callback; 0 off
	DeniedRateLimit    int // denied requests per client IP a minute; 0 off
	TrustedProxies     []netip.Prefix
	AdminAddr          string // metrics and pprof; empty: metrics on Addr, no pprof
	HTTP               HTTPTimeouts
	ScanStore          string // file or postgres
	Env                string // development or production (see Embedded)
	DeliveryAttempts   int
	DeliveryBackoff    time.Duration
	Delivery           deliveryEnv // SMTP and SMS gateway, from KABINET_SMTP_*, KABINET_SMS_*
	OIDCIssuer         string      // staff identity provider; empty: embedded development mode
	OIDCAudience       string
	OIDCRoleClaim      string
	OIDCRedirectURL    string        // the web's /staff/callback at the provider; empty: on the host asked for
	OIDCClientSecret   string        // KABINET_OIDC_CLIENT_SECRET; empty: a public client (PKCE alone)
	ESignCADir         string        // PEM files of the accredited CAs; empty: the data dir's test CA
	CalendarFile       string        // production-calendar years beyond the shipped ones; empty: none
	Retention          time.Duration // how long a closed account's personal data is kept
	// Argon2 are the password hashes' cost parameters; raising them
	// rehashes each password at its next sign-in.
	Argon2 signin.Params

	// alsoNotify receives every notification besides the outbox (bench).
	alsoNotify delivery.Notifier
	// noJournalWriter leaves the journal writer stopped (bench comparisons).
	noJournalWriter bool
	// clock replaces the wall clock (tests of time limits); nil: time.Now.
	clock func() time.Time
	// noSessionCache makes every request read its session (benchmarks).
	noSessionCache bool
}

// HTTPTimeouts bound each connection of the HTTP server (see net/http.Server).
type HTTPTimeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// setting documents one configuration value: its flag, env var and default.
type setting struct {
	flag, env, def, help string
}

// settings is the configuration table; README's table mirrors it.
var settings = []setting{
	{"addr", "KABINET_ADDR", "127.0.0.1:8080", "HTTP listen address"},
	{"data-dir", "KABINET_DATA_DIR", "./data", "directory for embedded stores, secrets and the outbox"},
	{"eventstore", "KABINET_EVENTSTORE", "", "event store DSN: postgres://… (empty: SQLite file <data-dir>/events.db)"},
	{"readstore", "KABINET_READSTORE", "", "read-model DSN: postgres://… (empty: SQLite file <data-dir>/read.db)"},
	{"role", "KABINET_ROLE", "all", "api (HTTP only), worker (projections only) or all"},
	{"log-level", "KABINET_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"log-format", "KABINET_LOG_FORMAT", "json", "json or text"},
	{"min-position-wait", "KABINET_MIN_POSITION_WAIT", "2s", "longest wait for X-Kabinet-Min-Position before 503"},
	{"shutdown-timeout", "KABINET_SHUTDOWN_TIMEOUT", "15s", "time to drain in-flight requests on SIGTERM"},
	{"request-timeout", "KABINET_REQUEST_TIMEOUT", "10s", "longest a request may work; a store that does not answer in time gives 503 store_unavailable"},
	{"rate-limit", "KABINET_RATE_LIMIT", "60", "requests a minute per client IP on registration, one-time-code and sign-in endpoints (0: off)"},
	{"argon2-memory", "KABINET_ARGON2_MEMORY_KIB", "19456", "Argon2id memory per password hash in KiB (OWASP: 19456 with 2 passes)"},
	{"argon2-time", "KABINET_ARGON2_TIME", "2", "Argon2id passes per password hash"},
	{"argon2-threads", "KABINET_ARGON2_THREADS", "1", "Argon2id lanes per password hash"},
	{"delivery-attempts", "KABINET_DELIVERY_ATTEMPTS", "3", "attempts per notification through SMTP or the SMS gateway before it is dead-lettered"},
	{"delivery-backoff", "KABINET_DELIVERY_BACKOFF", "200ms", "pause after the first failed attempt, doubling after each (at most 5s)"},
	{"payment-rate-limit", "KABINET_PAYMENT_RATE_LIMIT", "600", "payment callbacks a minute per client IP (0: off)"},
	{"denied-rate-limit", "KABINET_DENIED_RATE_LIMIT", "30", "denied requests (401, 403, 404 of the guard) a minute per client IP before they are answered 429 (0: off)"},
	{"trusted-proxies", "KABINET_TRUSTED_PROXIES", "", "comma-separated CIDRs of the proxies whose X-Forwarded-For gives the client address"},
	{"admin-addr", "KABINET_ADMIN_ADDR", "", "listen address for /metrics and /debug/pprof (empty: /metrics on --addr, no pprof)"},
	{"scan-store", "KABINET_SCAN_STORE", "", "where scans are kept: file (<data-dir>/blobs) or postgres (the read store; empty: postgres when the read store is PostgreSQL)"},
	{"read-header-timeout", "KABINET_HTTP_READ_HEADER_TIMEOUT", "10s", "longest time to read a request's headers"},
	{"read-timeout", "KABINET_HTTP_READ_TIMEOUT", "1m", "longest time to read a whole request, body included"},
	{"write-timeout", "KABINET_HTTP_WRITE_TIMEOUT", "1m", "longest time from the end of the headers to the end of the answer"},
	{"idle-timeout", "KABINET_HTTP_IDLE_TIMEOUT", "2m", "how long a keep-alive connection may wait for its next request"},
	{"oidc-issuer", "KABINET_OIDC_ISSUER", "", "staff OpenID Connect provider's issuer URL (empty: embedded development mode, staff tokens from kabinet token)"},
	{"oidc-audience", "KABINET_OIDC_AUDIENCE", "", "audience a staff token must carry (required with an issuer)"},
	{"oidc-role-claim", "KABINET_OIDC_ROLE_CLAIM", "kabinet_role", "claim of a staff token naming its role"},
	{"oidc-redirect-url", "KABINET_OIDC_REDIRECT_URL", "", "absolute URL of the web's /staff/callback registered at the provider (empty: /staff/callback on the host the browser asked for)"},
	{"esign-ca-dir", "KABINET_ESIGN_CA_DIR", "", "directory of PEM certificates of the accredited e-signature CAs (empty: the data dir's test CA, esign-ca.pem)"},
	{"calendar", "KABINET_CALENDAR", "", "JSON file of production-calendar years ({\"years\":[{\"year\",\"holidays\",\"working_weekends\"}]}) added to the shipped 2025–2027"},
	{"retention", "KABINET_RETENTION", "3y", "how long a closed account's personal data is kept before it is erased (a duration, 1095d or 3y)"},
	{"checkpoint-every", "KABINET_JOURNAL_CHECKPOINT_EVERY", "100", "sign a journal checkpoint after this many entries"},
	{"checkpoint-interval", "KABINET_JOURNAL_CHECKPOINT_INTERVAL", "2s", "sign a journal checkpoint this long after new entries"},
	{"env", "KABINET_ENV", "development", "development or production; production (or any event store but the embedded SQLite) needs KABINET_JOURNAL_KEY"},
}

func envOr(env, def string) string {
	if v, ok := os.LookupEnv(env); ok {
		return v
	}
	return def
}

// parseConfig reads flags (which override env vars, which override defaults).
func parseConfig(name string, args []string) (Config, *flag.FlagSet, error) {
	return parseConfigWith(name, args, nil)
}

// parseConfigWith is parseConfig with extra, command-specific flags.
func parseConfigWith(name string, args []string, extra func(*flag.FlagSet)) (Config, *flag.FlagSet, error) {
	fs := newFlagSet(name, synopses[name])
	if extra != nil {
		extra(fs)
	}
	vals := map[string]*string{}
	for _, s := range settings {
		vals[s.flag] = fs.String(s.flag, envOr(s.env, s.def), s.help+" (env "+s.env+")")
	}
	if err := parseFlags(fs, args); err != nil {
		return Config{}, fs, err
	}
	c := Config{
		Addr: *vals["addr"], DataDir: *vals["data-dir"], EventStore: *vals["eventstore"],
		ReadStore: *vals["readstore"], Role: *vals["role"], LogLevel: *vals["log-level"],
		LogFormat: *vals["log-format"], JWTSecret: os.Getenv("KABINET_JWT_SECRET"),
		JournalKey: os.Getenv("KABINET_JOURNAL_KEY"), JournalVerifierKey: os.Getenv("KABINET_JOURNAL_VERIFIER_KEY"), Env: *vals["env"], Delivery: readDeliveryEnv(),
		OIDCIssuer: *vals["oidc-issuer"], OIDCAudience: *vals["oidc-audience"], OIDCRoleClaim: *vals["oidc-role-claim"],
		OIDCRedirectURL: *vals["oidc-redirect-url"], OIDCClientSecret: os.Getenv("KABINET_OIDC_CLIENT_SECRET"),
		ESignCADir: *vals["esign-ca-dir"], CalendarFile: *vals["calendar"],
	}
	var err error
	if c.MinPositionWait, err = time.ParseDuration(*vals["min-position-wait"]); err != nil {
		return c, fs, usageError{fmt.Sprintf("min-position-wait: %v", err)}
	}
	if c.ShutdownTimeout, err = time.ParseDuration(*vals["shutdown-timeout"]); err != nil {
		return c, fs, usageError{fmt.Sprintf("shutdown-timeout: %v", err)}
	}
	if c.RequestTimeout, err = time.ParseDuration(*vals["request-timeout"]); err != nil || c.RequestTimeout < 0 {
		return c, fs, usageError{"request-timeout must be a non-negative duration"}
	}
	if c.CheckpointInterval, err = time.ParseDuration(*vals["checkpoint-interval"]); err != nil || c.CheckpointInterval <= 0 {
		return c, fs, usageError{"checkpoint-interval must be a positive duration"}
	}
	if c.CheckpointEvery, err = strconv.ParseUint(*vals["checkpoint-every"], 10, 64); err != nil || c.CheckpointEvery == 0 {
		return c, fs, usageError{"checkpoint-every must be a positive integer"}
	}
	for name, dst := range map[string]*int{"rate-limit": &c.RateLimit, "payment-rate-limit": &c.PaymentRateLimit, "denied-rate-limit": &c.DeniedRateLimit} {
		if *dst, err = strconv.Atoi(*vals[name]); err != nil || *dst < 0 {
			return c, fs, usageError{name + " must be a non-negative integer"}
		}
	}
	if c.Argon2, err = argon2Params(*vals["argon2-memory"], *vals["argon2-time"], *vals["argon2-threads"]); err != nil {
		return c, fs, err
	}
	if c.Env != "development" && c.Env != "production" {
		return c, fs, usageError{"env must be development or production, not " + strconv.Quote(c.Env)}
	}
	if c.DeliveryAttempts, err = strconv.Atoi(*vals["delivery-attempts"]); err != nil || c.DeliveryAttempts < 1 {
		return c, fs, usageError{"delivery-attempts must be a positive integer"}
	}
	if c.DeliveryBackoff, err = time.ParseDuration(*vals["delivery-backoff"]); err != nil || c.DeliveryBackoff <= 0 {
		return c, fs, usageError{"delivery-backoff must be a positive duration"}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fs, usageError{"log-level must be debug, info, warn or error, not " + strconv.Quote(c.LogLevel)}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, fs, usageError{"log-format must be json or text, not " + strconv.Quote(c.LogFormat)}
	}
	for name, dst := range map[string]*time.Duration{"read-header-timeout": &c.HTTP.ReadHeader,
		"read-timeout": &c.HTTP.Read, "write-timeout": &c.HTTP.Write, "idle-timeout": &c.HTTP.Idle} {
		if *dst, err = time.ParseDuration(*vals[name]); err != nil || *dst <= 0 {
			return c, fs, usageError{name + " must be a positive duration"}
		}
	}
	if c.TrustedProxies, err = httpx.ParseTrustedProxies(*vals["trusted-proxies"]); err != nil {
		return c, fs, usageError{err.Error()}
	}
	c.AdminAddr = *vals["admin-addr"]
	if c.OIDCIssuer != "" && c.OIDCAudience == "" {
		return c, fs, usageError{"oidc-audience is required with oidc-issuer"}
	}
	if u, perr := url.Parse(c.OIDCRedirectURL); c.OIDCRedirectURL != "" && (perr != nil || !u.IsAbs() || u.Host == "") {
		return c, fs, usageError{"oidc-redirect-url must be an absolute http(s) URL"}
	}
	if c.Retention, err = parseRetention(*vals["retention"]); err != nil {
		return c, fs, usageError{err.Error()}
	}
	switch c.Role {
	case "api", "worker", "all":
	default:
		return c, fs, usageError{"role must be api, worker or all, not " + strconv.Quote(c.Role)}
	}
	if c.EventStore == "" {
		c.EventStore = filepath.Join(c.DataDir, "events.db")
	}
	if c.ReadStore == "" {
		c.ReadStore = filepath.Join(c.DataDir, "read.db")
	}
	if err := c.chooseScanStore(*vals["scan-store"]); err != nil {
		return c, fs, err
	}
	return c, fs, nil
}

// Embedded reports whether c runs in embedded mode: the development
// environment with the default event store, a SQLite file. Outside it (the
// production environment, or events in PostgreSQL or KurrentDB) secrets
// that the data dir would otherwise hold must come from the environment.
func (c Config) Embedded() bool {
	if c.Env == "production" {
		return false
	}
	if _, ok := kurrentConnString(c.EventStore); ok {
		return false
	}
	return !strings.HasPrefix(c.EventStore, "postgres")
}

// argon2Params parses the password hashing parameters, refusing any below
// OWASP's weakest recommended trade of memory for passes (7 MiB × 5).
func argon2Params(memory, passes, threads string) (signin.Params, error) {
	p := signin.OWASPParams
	m, err1 := strconv.ParseUint(memory, 10, 32)
	t, err2 := strconv.ParseUint(passes, 10, 32)
	l, err3 := strconv.ParseUint(threads, 10, 8)
	if err1 != nil || err2 != nil || err3 != nil || m < 7*1024 || t == 0 || l == 0 || m*t < 7*1024*5 {
		return p, usageError{"argon2-memory, argon2-time and argon2-threads must be whole numbers, memory ≥ 7168 KiB and memory × passes ≥ 35840"}
	}
	p.Memory, p.Time, p.Threads = uint32(m), uint32(t), uint8(l)
	return p, nil
}

// chooseScanStore sets ScanStore from the scan-store setting: postgres
// needs a PostgreSQL read store, and is the default with one.
func (c *Config) chooseScanStore(v string) error {
	pg := strings.HasPrefix(c.ReadStore, "postgres")
	switch v {
	case "":
		c.ScanStore = "file"
		if pg {
			c.ScanStore = "postgres"
		}
	case "file":
		c.ScanStore = v
	case "postgres":
		if !pg {
			return usageError{"scan-store postgres needs a PostgreSQL read store"}
		}
		c.ScanStore = v
	default:
		return usageError{"scan-store must be file or postgres, not " + strconv.Quote(v)}
	}
	return nil
}
