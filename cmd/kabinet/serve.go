package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kabinet/kabinet/platform/lease"
	"github.com/kabinet/kabinet/platform/observability"
)

// cmdServe runs the service until SIGINT/SIGTERM: then it stops accepting,
// drains in-flight requests, stops the projections at a checkpoint and
// closes the stores, so a restart continues where it stopped.
func cmdServe(ctx context.Context, args []string, logOut io.Writer) error {
	c, _, err := parseConfig("serve", args)
	if err != nil {
		return err
	}
	// Listen first: a port in use fails before the data dir is touched.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", c.Addr, err)
	}
	// Traces go out over OTLP only when the OTEL_* variables ask for it.
	stopTracing, err := observability.SetupTracing(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopTracing(sctx)
	}()
	before := dataDirFiles(c.DataDir)
	a, err := buildApp(ctx, c, logOut)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	a.created = newFiles(before, dataDirFiles(c.DataDir))
	return a.Serve(ctx, ln)
}

// dataDirFiles lists the names in dir (none if it does not exist).
func dataDirFiles(dir string) map[string]bool {
	names := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names[e.Name()] = true
	}
	return names
}

// newFiles is what after holds that before did not, sorted, without
// SQLite's transient -wal and -shm files.
func newFiles(before, after map[string]bool) []string {
	var out []string
	for n := range after {
		if !before[n] && !strings.HasSuffix(n, "-wal") && !strings.HasSuffix(n, "-shm") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Serve runs the app's roles until ctx ends. If ln is nil it listens on the
// configured address.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	c := a.Config
	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRunner()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if c.Role != "api" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each projection runs on one instance at a time.
			err := lease.Run(runCtx, a.Read, "projections", lease.Options{Logger: a.Logger}, a.Runner.Run)
			if err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("projections: %w", err)
			}
		}()
	}
	if c.Role != "api" && !c.noJournalWriter {
		wg.Add(1)
		go func() { // the journal has one writer across the fleet
			defer wg.Done()
			err := lease.Run(runCtx, a.JournalDB, "journal-writer", lease.Options{Logger: a.Logger}, a.JournalWriter.Run)
			if err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("journal writer: %w", err)
			}
		}()
	}
	if c.Role != "api" && a.Notifications != nil {
		wg.Add(1)
		go func() { // immediate notifications go out within a quarter second
			defer wg.Done()
			lease.Run(runCtx, a.Read, "notification-outbox", lease.Options{Logger: a.Logger}, func(ctx context.Context) error {
				return a.Notifications.Run(ctx, 250*time.Millisecond)
			})
		}()
	}
	if c.Role != "api" && a.Scheduler != nil {
		wg.Add(1)
		go func() { // periodic jobs on one instance at a time
			defer wg.Done()
			lease.Run(runCtx, a.Read, "scheduler", lease.Options{Logger: a.Logger}, a.Scheduler.Run)
		}()
	}
	var srv *http.Server
	{
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", c.Addr); err != nil {
				stopRunner()
				wg.Wait()
				return fmt.Errorf("listen %s: %w", c.Addr, err)
			}
		}
		handler := a.Handler
		if c.Role == "worker" {
			handler = a.OpsHandler // health, readiness and metrics only
		}
		srv = a.httpServer(handler)
		url := "http://" + ln.Addr().String()
		a.Logger.Info("kabinet serving", "addr", ln.Addr().String(), "url", url, "openapi", url+"/openapi.json", "docs", url+"/docs",
			"role", c.Role, "data_dir", c.DataDir, "created", a.created)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		}()
	}
	admin, err := a.serveAdmin(errc)
	if err != nil {
		srv.Close()
		stopRunner()
		wg.Wait()
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
		a.Logger.Info("shutting down: draining requests")
	case runErr = <-errc:
		a.Logger.Error("stopping after failure", "err", runErr)
	}
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
		if err := srv.Shutdown(sctx); err != nil {
			a.Logger.Warn("drain incomplete", "err", err)
		}
		cancel()
	}
	if admin != nil {
		admin.Close()
	}
	stopRunner()
	wg.Wait()
	a.Logger.Info("stopped: projections at their checkpoints, stores closing")
	return runErr
}

// httpServer is an HTTP server for h with the configured timeouts, so a
// slow or idle client cannot hold a connection for ever.
func (a *App) httpServer(h http.Handler) *http.Server {
	t := a.Config.HTTP
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// serveAdmin serves AdminHandler (metrics, pprof) on its own address when
// one is configured; its failures reach errc.
func (a *App) serveAdmin(errc chan<- error) (*http.Server, error) {
	if a.AdminHandler == nil {
		return nil, nil
	}
	ln := a.AdminListener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.Config.AdminAddr); err != nil {
			return nil, fmt.Errorf("listen %s (admin): %w", a.Config.AdminAddr, err)
		}
	}
	srv := a.httpServer(a.AdminHandler)
	a.Logger.Info("kabinet admin serving", "addr", ln.Addr().String(), "paths", "/metrics /debug/pprof/")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("admin http: %w", err)
		}
	}()
	return srv, nil
}
