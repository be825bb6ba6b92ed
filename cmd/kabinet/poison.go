package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/kabinet/kabinet/projections"
)

// cmdPoison lists the events the projections could not apply, and replays
// one after a fix (by rebuilding its projection; stop serve first).
func cmdPoison(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: kabinet projections poison list [--consumer NAME] | replay ID"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return subcommandHelp("projections poison", "list [--consumer NAME] [flags]", "replay ID [flags]")
	case "list":
		var consumer string
		c, _, err := parseConfigWith("projections poison list", args[1:], func(fs *flag.FlagSet) {
			fs.StringVar(&consumer, "consumer", "", "only this projection's entries")
		})
		if err != nil {
			return err
		}
		return poisonList(ctx, c, consumer, stdout)
	case "replay":
		if wantsHelp(args[1:]) {
			_, _, err := parseConfig("projections poison replay", []string{"--help"})
			return err
		}
		if len(args) < 2 {
			return usageError{"usage: kabinet projections poison replay ID"}
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || id <= 0 {
			return usageError{fmt.Sprintf("poison entry id %q is not a positive number", args[1])}
		}
		c, _, err := parseConfig("projections poison replay", args[2:])
		if err != nil {
			return err
		}
		return poisonReplay(ctx, c, id, stdout, stderr)
	default:
		return usageError{fmt.Sprintf("unknown poison command %q: list or replay", args[0])}
	}
}

func poisonList(ctx context.Context, c Config, consumer string, stdout io.Writer) error {
	a, err := buildApp(ctx, c, io.Discard)
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.Runner.Poison.List(ctx, consumer, 0)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROJECTION\tPOSITION\tFAILED AT\tSTATE\tREASON")
	for _, e := range entries {
		state := "pending"
		if e.ReplayedAt != nil {
			state = "replayed " + e.ReplayedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", e.ID, e.Consumer, e.Position, e.FailedAt.UTC().Format(time.RFC3339), state, e.Reason)
	}
	return tw.Flush()
}

func poisonReplay(ctx context.Context, c Config, id int64, stdout, stderr io.Writer) error {
	a, err := buildApp(ctx, c, io.Discard)
	if err != nil {
		return err
	}
	defer a.Close()
	e, err := a.Runner.Poison.Get(ctx, id)
	if err != nil {
		return err
	}
	for _, p := range a.Runner.Projectors {
		if p.Name() != e.Consumer {
			continue
		}
		fmt.Fprintf(stderr, "rebuilding %s to apply poisoned event at position %d\n", p.Name(), e.Position)
		if err := projections.ReplayPoisoned(ctx, a.Runner, p, id, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "replayed poison entry %d: %s rebuilt\n", id, p.Name())
		return nil
	}
	return errors.New("poison entry " + strconv.FormatInt(id, 10) + " belongs to no projection of this build: " + e.Consumer)
}
