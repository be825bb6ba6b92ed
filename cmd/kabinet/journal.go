package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/kabinet/kabinet/platform/journal"
	"github.com/kabinet/kabinet/platform/journal/witness"
)

// cmdJournal runs `kabinet journal verify|export|witness`.
func cmdJournal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: kabinet journal verify|export|witness|keygen …"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return subcommandHelp("journal", "verify [flags]", "export [--from SEQ] [flags]",
			"witness --url URL --state FILE --key VERIFIER_KEY", "keygen")
	case "verify":
		return journalVerify(ctx, args[1:], stdout)
	case "export":
		return journalExport(ctx, args[1:], stdout)
	case "witness":
		return journalWitness(ctx, args[1:], stdout)
	case "keygen":
		if err := parseFlags(newFlagSet("journal keygen", ""), args[1:]); err != nil {
			return err
		}
		return cmdJournalKeygen(stdout)
	default:
		return usageError{fmt.Sprintf("unknown journal command %q", args[0])}
	}
}

// withJournal opens the journal of the configured event database.
func withJournal(ctx context.Context, name string, args []string, extra func(*flag.FlagSet)) (*journal.Journal, func(), error) {
	c, _, err := parseConfigWith(name, args, extra)
	if err != nil {
		return nil, nil, err
	}
	events, read, store, err := openStores(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	closeAll := func() {
		store.Close()
		if read != events {
			read.Close()
		}
		events.Close()
	}
	db, owned, err := openJournalDB(ctx, c, events)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	done := func() {
		if owned {
			db.Close()
		}
		closeAll()
	}
	j, err := openJournal(ctx, c, db, store)
	if err != nil {
		done()
		return nil, nil, err
	}
	return j, done, nil
}

// journalVerify recomputes every leaf and the tree and checks every stored
// checkpoint; it exits non-zero naming the first bad seq or checkpoint.
func journalVerify(ctx context.Context, args []string, stdout io.Writer) error {
	j, done, err := withJournal(ctx, "journal verify", args, nil)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	res, err := j.Verify(ctx)
	if err != nil {
		return err
	}
	el := time.Since(start)
	if !res.OK {
		msg := "journal verification FAILED after " + fmt.Sprint(res.Entries) + " entries and " +
			fmt.Sprint(res.EventLeaves) + " events: " + res.Reason
		if res.FirstBadPosition != nil {
			msg += fmt.Sprintf(" (first bad position %d)", *res.FirstBadPosition)
		}
		if res.FirstBadSeq != nil {
			msg += fmt.Sprintf(" (first bad seq %d)", *res.FirstBadSeq)
		}
		return fmt.Errorf("%s", msg)
	}
	leaves := res.Entries + res.EventLeaves
	fmt.Fprintf(stdout, "journal OK: %d entries and %d events (%d recomputed from the event store), root %s, %s (%.0f leaves/s)\n",
		res.Entries, res.EventLeaves, res.Events, rootText(res.RootHash), el.Round(time.Millisecond),
		float64(leaves)/el.Seconds())
	fmt.Fprintf(stdout, "events proven through position %d under the signed checkpoint of size %d; %d not yet proven (event store head %d)\n",
		res.ProvenPosition, res.CheckpointSize, res.Unproven, res.StoreHead)
	return nil
}

// journalExport writes entries from --from on as NDJSON, then the checkpoint.
func journalExport(ctx context.Context, args []string, stdout io.Writer) error {
	var from *uint64
	j, done, err := withJournal(ctx, "journal export", args, func(fs *flag.FlagSet) {
		from = fs.Uint64("from", 0, "first seq to export")
	})
	if err != nil {
		return err
	}
	defer done()
	return j.Export(ctx, stdout, *from)
}

// journalWitness checks the service's latest checkpoint against the one
// kept in --state and keeps the new one only if it extends it.
func journalWitness(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("journal witness", synopses["journal witness"])
	url := fs.String("url", "", "base URL of the Kabinet service (e.g. https://kabinet.example)")
	state := fs.String("state", "", "file holding the last checkpoint this witness accepted")
	key := fs.String("key", os.Getenv("KABINET_JOURNAL_VERIFIER_KEY"), "the journal's verifier key (name+hash+base64); env KABINET_JOURNAL_VERIFIER_KEY")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *url == "" || *state == "" || *key == "" {
		return usageError{"journal witness needs --url, --state and --key"}
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := witness.Observe(cctx, &http.Client{Timeout: 30 * time.Second}, strings.TrimRight(*url, "/"), *state, *key)
	if err != nil {
		return err
	}
	switch {
	case res.First:
		fmt.Fprintf(stdout, "witness: first checkpoint accepted (size %d, root %s); trusted on first use\n", res.NewSize, rootText(res.RootHash))
	case res.NewSize == res.OldSize:
		fmt.Fprintf(stdout, "witness: unchanged at size %d\n", res.NewSize)
	default:
		fmt.Fprintf(stdout, "witness: consistent %d → %d, root %s\n", res.OldSize, res.NewSize, rootText(res.RootHash))
	}
	return nil
}

// rootText prints a root hash as the API's JSON and the signed checkpoints
// do: standard base64.
func rootText(root []byte) string { return base64.StdEncoding.EncodeToString(root) }
