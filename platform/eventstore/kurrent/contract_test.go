package kurrent_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kabinet/kabinet/platform/eventstore"
	"github.com/kabinet/kabinet/platform/eventstore/eventstoretest"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent"
	"github.com/kabinet/kabinet/platform/eventstore/kurrent/kurrenttest"
)

// open connects a Store to connString and closes it when the test ends.
func open(t *testing.T, connString string, opts kurrent.Options) *kurrent.Store {
	t.Helper()
	if opts.Logger == nil {
		// The client logs every drop and reconnection, which these tests
		// cause on purpose.
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := kurrent.New(context.Background(), connString, opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestContract_TestDouble runs the whole contract against the adapter over
// the in-process test double, one double per case.
func TestContract_TestDouble(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
		return open(t, kurrenttest.Start(t, kurrenttest.Options{}).ConnString(), kurrent.Options{})
	})
}

// TestContract_TestDoubleFileIndex runs the contract with the position
// index kept in a file.
func TestContract_TestDoubleFileIndex(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
		path := filepath.Join(t.TempDir(), "positions.db")
		return open(t, kurrenttest.Start(t, kurrenttest.Options{}).ConnString(), kurrent.Options{IndexPath: path})
	})
}

// TestContract_TestDoubleDroppingSubscriptions runs the contract again
// against a double that drops every catch-up subscription after 7 events:
// resubscription must neither lose nor repeat an event.
func TestContract_TestDoubleDroppingSubscriptions(t *testing.T) {
	for _, c := range eventstoretest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := kurrenttest.Start(t, kurrenttest.Options{DropEvery: 7})
			c.Test(t, open(t, srv.ConnString(), kurrent.Options{}))
		})
	}
}

// TestContract_RealKurrentDB runs the contract against the server named by
// KABINET_TEST_KURRENTDB, e.g. esdb://127.0.0.1:2113?tls=false.
func TestContract_RealKurrentDB(t *testing.T) {
	conn := os.Getenv("KABINET_TEST_KURRENTDB")
	if conn == "" {
		t.Skip("KABINET_TEST_KURRENTDB is not set: the KurrentDB contract ran only against the test double " +
			"(see platform/eventstore/kurrent/README.md to run it against a real server)")
	}
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return open(t, conn, kurrent.Options{}) })
}
