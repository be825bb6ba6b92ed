package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/kabinet/kabinet/readapi"
)

// cmdHistory prints every event of one account's stream, read from the
// event store itself, as NDJSON or a table.
func cmdHistory(ctx context.Context, args []string, stdout io.Writer) error {
	var format *string
	formatFlag := func(fs *flag.FlagSet) { format = fs.String("format", "ndjson", "ndjson or table") }
	if wantsHelp(args) {
		_, _, err := parseConfigWith("history", []string{"--help"}, formatFlag)
		return err
	}
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return usageError{"usage: kabinet history ACCOUNT_ID [--format ndjson|table]"}
	}
	id, err := uuid.Parse(args[0])
	if err != nil {
		return usageError{"ACCOUNT_ID: " + err.Error()}
	}
	c, _, err := parseConfigWith("history", args[1:], formatFlag)
	if err != nil {
		return err
	}
	if *format != "ndjson" && *format != "table" {
		return usageError{"--format must be ndjson or table"}
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
	h := readapi.NewSealedHistories(store, codec)
	enc := json.NewEncoder(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if *format == "table" {
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
			if *format == "ndjson" {
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
