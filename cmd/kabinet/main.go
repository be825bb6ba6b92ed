// Command kabinet is the Kabinet service and its operator tools in one
// binary: serve, token, migrate, projections rebuild, journal, history,
// probe, bench and version; `kabinet COMMAND --help` lists a command's flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `kabinet — the personal cabinet of foreign citizens (event-sourced backend)

Usage:
  kabinet serve [--addr 127.0.0.1:8080] [--data-dir ./data]
  kabinet token --data-dir DIR --role ROLE --sub ID [--account ID] [--ttl 1h]
  kabinet migrate [status|up] [--data-dir ./data]
  kabinet projections rebuild [NAME] [--data-dir ./data]
  kabinet projections poison list [--consumer NAME] | replay ID [--data-dir ./data]
  kabinet journal verify [--data-dir ./data]
  kabinet journal keygen
  kabinet journal export [--from SEQ] [--data-dir ./data]
  kabinet journal witness --url URL --state FILE --key VERIFIER_KEY
  kabinet history ACCOUNT_ID [--format ndjson|table] [--data-dir ./data]
  kabinet keys rotate [--data-dir ./data]
  kabinet probe URL
  kabinet esign test-cert --data-dir DIR --name "Фамилия Имя Отчество" --out DIR2
  kabinet bench [--duration 10s] [--concurrency 32] [--reads 5] [--report-every 1m]
  kabinet bench reads [--duration 10s] [--connections 64]
  kabinet delivery dead-letters [--limit 100] [--format table|ndjson] [--data-dir ./data]
  kabinet version

Every command takes --help (its flags, their types and defaults).

Every flag also reads an environment variable (see README, "Configuration").
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "kabinet: %v\n\n%s", err, usage)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "kabinet: %v\n", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run runs one command; a command's --help prints its help on stdout and
// succeeds.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	var h helpShown
	if errors.As(err, &h) {
		fmt.Fprint(stdout, h.text)
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stderr)
	case "token":
		return cmdToken(args[1:], stdout)
	case "migrate":
		return cmdMigrate(ctx, args[1:], stdout)
	case "projections":
		if len(args) == 2 && wantsHelp(args[1:]) {
			return subcommandHelp("projections", "rebuild [NAME] [flags]", "poison list [--consumer NAME] [flags]", "poison replay ID [flags]")
		}
		if len(args) >= 2 && args[1] == "poison" {
			return cmdPoison(ctx, args[2:], stdout, stderr)
		}
		if len(args) < 2 || args[1] != "rebuild" {
			return usageError{"usage: kabinet projections rebuild [NAME] | projections poison list|replay"}
		}
		return cmdRebuild(ctx, args[2:], stdout, stderr)
	case "probe":
		return cmdProbe(ctx, args[1:], stdout)
	case "journal":
		return cmdJournal(ctx, args[1:], stdout, stderr)
	case "history":
		return cmdHistory(ctx, args[1:], stdout)
	case "bench":
		if len(args) > 1 && args[1] == "reads" {
			return cmdBenchReads(ctx, args[2:], stdout)
		}
		return cmdBench(ctx, args[1:], stdout)
	case "esign":
		return cmdEsign(args[1:], stdout)
	case "keys":
		return cmdKeys(ctx, args[1:], stdout)
	case "delivery":
		return cmdDelivery(ctx, args[1:], stdout)
	case "version":
		return cmdVersion(args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}
