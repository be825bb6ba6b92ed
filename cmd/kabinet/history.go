package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/platform/journal/proofcheck"
	"github.com/kabinet/kabinet/readapi"
)

// historyFlags are cmdHistory's own flags; the rest are the store settings.
type historyFlags struct {
	format, key, file string
	proofs, verify    bool
}

const historyUsage = "usage: kabinet history ACCOUNT_ID [--format ndjson|table] [--proofs] [--verify --key VERIFIER_KEY [--file EXPORT]]"

func parseHistoryFlags(args []string) (historyFlags, []string, error) {
	f := historyFlags{format: "ndjson", key: os.Getenv("KABINET_JOURNAL_VERIFIER_KEY")}
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--proofs":
			f.proofs = true
		case a == "--verify":
			f.verify = true
		case (a == "--format" || a == "--key" || a == "--file") && i+1 < len(args):
			*map[string]*string{"--format": &f.format, "--key": &f.key, "--file": &f.file}[a] = args[i+1]
			i++
		default:
			rest = append(rest, a)
		}
	}
	switch {
	case f.format != "ndjson" && f.format != "table":
		return f, nil, usageError{"--format must be ndjson or table"}
	case f.verify && f.key == "":
		return f, nil, usageError{"--verify needs --key (or KABINET_JOURNAL_VERIFIER_KEY)"}
	case f.file != "" && !f.verify:
		return f, nil, usageError{"--file goes with --verify"}
	}
	return f, rest, nil
}

// cmdHistory prints every event of one account's stream, read from the
// event store itself, as NDJSON or a table; with --proofs, as pages with
// their proofs against the journal's latest signed checkpoint. --verify
// checks such pages (built from the stores, or read from --file, "-" for
// stdin) with the verifier key alone.
func cmdHistory(ctx context.Context, args []string, stdout io.Writer) error {
	if wantsHelp(args) {
		_, _, err := parseConfigWith("history", []string{"--help"}, func(fs *flag.FlagSet) {
			fs.String("format", "ndjson", "ndjson or table")
			fs.Bool("proofs", false, "pages with inclusion proofs against the latest signed checkpoint")
			fs.Bool("verify", false, "check the proofs offline with --key")
			fs.String("key", "", "the journal's verifier key (env KABINET_JOURNAL_VERIFIER_KEY)")
			fs.String("file", "", "with --verify: read the pages from this file (- for stdin)")
		})
		return err
	}
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return usageError{historyUsage}
	}
	id, err := uuid.Parse(args[0])
	if err != nil {
		return usageError{"ACCOUNT_ID: " + err.Error()}
	}
	f, rest, err := parseHistoryFlags(args[1:])
	if err != nil {
		return err
	}
	if f.verify && f.file != "" {
		in := io.Reader(os.Stdin)
		if f.file != "-" {
			file, err := os.Open(f.file)
			if err != nil {
				return err
			}
			defer file.Close()
			in = file
		}
		return reportHistoryCheck(in, f.key, id, stdout)
	}
	c, _, err := parseConfig("history", rest)
	if err != nil {
		return err
	}
	if f.proofs || f.verify {
		return provenHistory(ctx, c, id, f, stdout)
	}
	events, read, store, err := openStores(ctx, c)
	if err != nil {
		return err
	}
	defer func() {
		store.Close()
		if read != events {
			read.Close()
		}
		events.Close()
	}()
	codec, _, closeKeys, err := openCodec(ctx, c, events)
	if err != nil {
		return err
	}
	defer closeKeys()
	return printHistory(ctx, readapi.NewSealedHistories(store, codec), id, f.format, stdout)
}

// printHistory prints the history as NDJSON or a table.
func printHistory(ctx context.Context, h *readapi.Histories, id uuid.UUID, format string, stdout io.Writer) error {
	enc := json.NewEncoder(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if format == "table" {
		fmt.Fprintln(tw, "VERSION\tPOSITION\tOCCURRED_AT\tTYPE\tACTOR\tROLE\tCORRELATION")
	}
	n := 0
	for from := int64(0); ; {
		items, more, err := h.Page(ctx, id, from, 500)
		if err != nil {
			return err
		}
		for _, it := range items {
			n++
			if format == "ndjson" {
				if err := enc.Encode(it); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", it.Version, it.Position,
				it.OccurredAt.Format(time.RFC3339), it.Type, it.Metadata.ActorID, it.Metadata.ActorRole, it.Metadata.CorrelationID)
		}
		if !more {
			break
		}
		from = items[len(items)-1].Version + 1
	}
	if n == 0 {
		return fmt.Errorf("account %s has no events", id)
	}
	return tw.Flush()
}

// provenHistory prints the history's pages with proofs (--proofs), or
// checks them with the key (--verify).
func provenHistory(ctx context.Context, c Config, id uuid.UUID, f historyFlags, stdout io.Writer) error {
	events, read, store, err := openStores(ctx, c)
	if err != nil {
		return err
	}
	defer func() {
		store.Close()
		if read != events {
			read.Close()
		}
		events.Close()
	}()
	db, owned, err := openJournalDB(ctx, c, events)
	if err != nil {
		return err
	}
	if owned {
		defer db.Close()
	}
	j, err := openJournal(ctx, c, db, store)
	if err != nil {
		return err
	}
	codec, _, closeKeys, err := openCodec(ctx, c, events)
	if err != nil {
		return err
	}
	defer closeKeys()
	h := readapi.NewSealedHistories(store, codec).WithProofs(j)
	var pages bytes.Buffer
	enc := json.NewEncoder(&pages)
	for from := int64(0); ; {
		p, more, err := h.ProvenPage(ctx, id, from, 500)
		if err != nil {
			return err
		}
		if len(p.Items) == 0 && from == 0 {
			return fmt.Errorf("account %s has no events", id)
		}
		if err := enc.Encode(p); err != nil {
			return err
		}
		if !more {
			break
		}
		from = p.Items[len(p.Items)-1].Version + 1
	}
	if !f.verify {
		_, err := stdout.Write(pages.Bytes())
		return err
	}
	return reportHistoryCheck(&pages, f.key, id, stdout)
}

func reportHistoryCheck(in io.Reader, key string, id uuid.UUID, stdout io.Writer) error {
	res, err := proofcheck.History(in, key, "account-"+id.String())
	if err != nil {
		return fmt.Errorf("history verification FAILED: %w", err)
	}
	fmt.Fprintf(stdout, "history OK: %d events proven under the signed checkpoint of size %d; %d not yet proven\n",
		res.Proven, res.Size, res.NotYetProven)
	return nil
}
