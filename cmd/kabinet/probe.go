package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/kabinet/kabinet/platform/journal"
)

// cmdProbe GETs a URL and fails unless it answers 2xx: the container health
// check, since the image has no shell or curl.
func cmdProbe(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("probe", synopses["probe"])
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if args = fs.Args(); len(args) != 1 {
		return usageError{"usage: kabinet probe URL"}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return usageError{err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe %s: %s", args[0], resp.Status)
	}
	fmt.Fprintln(stdout, resp.Status)
	return nil
}

// cmdJournalKeygen prints a new journal signing key (for KABINET_JOURNAL_KEY)
// and its public verifier key (for witnesses).
func cmdJournalKeygen(stdout io.Writer) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, journal.DefaultOrigin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "KABINET_JOURNAL_KEY=%s\nverifier key: %s\n", skey, vkey)
	return nil
}
