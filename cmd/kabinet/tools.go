package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"

	"github.com/kabinet/kabinet/platform/auth"
	"github.com/kabinet/kabinet/platform/lease"
	"github.com/kabinet/kabinet/projections"
)

// MaxDevTokenTTL is the longest lifetime kabinet token mints: as long as a
// session may last.
const MaxDevTokenTTL = 12 * time.Hour

// cmdToken prints a dev token signed with the data dir's secret. It exists
// only in embedded development mode: with a staff identity provider
// configured (KABINET_OIDC_ISSUER) it refuses, since the service would
// refuse the token anyway.
func cmdToken(args []string, stdout io.Writer) error {
	fs := newFlagSet("token", synopses["token"])
	dataDir := fs.String("data-dir", envOr("KABINET_DATA_DIR", "./data"), "data dir holding jwt.secret")
	role := fs.String("role", "", "citizen, operator, auditor, security or admin")
	sub := fs.String("sub", "", "subject (actor id)")
	account := fs.String("account", "", "account id (citizen tokens)")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if envOr("KABINET_OIDC_ISSUER", "") != "" {
		return usageError{"kabinet token works only in embedded development mode: with KABINET_OIDC_ISSUER set, staff sign in through the identity provider"}
	}
	if *ttl <= 0 || *ttl > MaxDevTokenTTL {
		return usageError{fmt.Sprintf("--ttl must be positive and at most %s", MaxDevTokenTTL)}
	}
	r, err := auth.RoleFromString(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	if *sub == "" {
		return usageError{"--sub is required"}
	}
	p := auth.Principal{Subject: *sub, Role: r}
	if *account != "" {
		if p.AccountID, err = uuid.Parse(*account); err != nil {
			return usageError{"--account: " + err.Error()}
		}
	}
	if r == auth.RoleCitizen && p.AccountID == uuid.Nil {
		return usageError{"citizen tokens need --account"}
	}
	c := Config{DataDir: *dataDir}
	if err := ensureDataDir(c.DataDir); err != nil {
		return err
	}
	secret, err := jwtSecret(Config{DataDir: *dataDir, JWTSecret: envOr("KABINET_JWT_SECRET", "")})
	if err != nil {
		return err
	}
	tok, err := (&auth.Issuer{Secret: secret, Clock: time.Now}).Mint(p, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// cmdRebuild rebuilds one projection (or all) from position 0 with a progress bar.
func cmdRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var name string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	c, _, err := parseConfig("projections rebuild", args)
	if err != nil {
		return err
	}
	a, err := buildApp(ctx, c, io.Discard)
	if err != nil {
		return err
	}
	defer a.Close()
	// A rebuild beside a running server would race its projections.
	release, err := lease.Try(ctx, a.Read, "projections")
	if errors.Is(err, lease.ErrHeld) {
		return errors.New("projections rebuild: a running server holds the projections' lease; stop it first")
	}
	if err != nil {
		return err
	}
	defer release()
	found := false
	for _, p := range a.Runner.Projectors {
		if name != "" && p.Name() != name {
			continue
		}
		found = true
		head, err := a.Store.Head(ctx)
		if err != nil {
			return err
		}
		bar := progressbar.NewOptions64(int64(head), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("rebuild "+p.Name()), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionShowIts())
		start := time.Now()
		err = projections.Rebuild(ctx, a.Runner.DB, a.Store, a.Runner.Checkpoint, p, func(done, _ uint64) { bar.Set64(int64(done)) })
		bar.Finish()
		fmt.Fprintln(stderr)
		if err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Fprintf(stdout, "rebuilt %s: %d events in %s (%.0f events/s)\n", p.Name(), head, el.Round(time.Millisecond), float64(head)/el.Seconds())
	}
	if !found {
		return errors.New("no projection named " + name)
	}
	return nil
}
