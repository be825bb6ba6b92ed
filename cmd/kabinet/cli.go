package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"
)

// helpShown carries a command's help text; run prints it on stdout and
// exits 0.
type helpShown struct{ text string }

func (h helpShown) Error() string { return "help requested" }

// newFlagSet is a FlagSet whose help names the command, its synopsis and
// every flag with its type and default.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: kabinet %s %s\n", name, synopsis)
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			if n++; n == 1 {
				fmt.Fprintln(fs.Output(), "\nFlags:")
			}
			fmt.Fprintf(fs.Output(), "  --%s %s\n    \t%s", f.Name, flagType(name, f), f.Usage)
			if f.DefValue != "" {
				fmt.Fprintf(fs.Output(), " (default %q)", f.DefValue)
			}
			fmt.Fprintln(fs.Output())
		})
	}
	return fs
}

// settingTypes are the types of the configuration settings, which are
// parsed from strings after the flags (so env vars and flags agree).
var settingTypes = map[string]string{
	"min-position-wait": "duration", "shutdown-timeout": "duration", "checkpoint-interval": "duration",
	"checkpoint-every": "uint", "rate-limit": "int", "role": "api|worker|all",
	"log-level": "debug|info|warn|error", "log-format": "json|text", "format": "ndjson|table",
	"delivery-attempts": "int", "delivery-backoff": "duration", "env": "development|production",
	"token role": "citizen|operator|auditor|security|admin",
}

// flagType names the type of command's flag f for help.
func flagType(command string, f *flag.Flag) string {
	if t, ok := settingTypes[command+" "+f.Name]; ok {
		return t
	}
	if t, ok := settingTypes[f.Name]; ok {
		return t
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return "value"
	}
	switch g.Get().(type) {
	case bool:
		return "bool"
	case time.Duration:
		return "duration"
	case int, int64:
		return "int"
	case uint, uint64:
		return "uint"
	}
	return "string"
}

// parseFlags parses args into fs: --help (or -h) becomes helpShown, any
// other mistake a usageError naming the command's own usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return helpShown{out.String()}
	case err != nil:
		return usageError{msg: err.Error()}
	}
	return nil
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// subcommandHelp is the help of a command made of subcommands.
func subcommandHelp(name string, subs ...string) helpShown {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: kabinet %s COMMAND\n\nCommands:\n", name)
	for _, s := range subs {
		fmt.Fprintf(&b, "  kabinet %s %s\n", name, s)
	}
	fmt.Fprintf(&b, "\n`kabinet %s COMMAND --help` lists a command's flags.\n", name)
	return helpShown{b.String()}
}

// versionInfo is the binary's module version, VCS commit and Go version,
// from the build information the go command embeds.
func versionInfo() (version, commit, goVersion string) {
	version, commit, goVersion = "(devel)", "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	goVersion = bi.GoVersion
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && commit != "unknown" {
		commit += " (modified)"
	}
	return
}

// cmdVersion prints the module version, the commit and the Go version.
func cmdVersion(args []string, stdout io.Writer) error {
	fs := newFlagSet("version", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: "version takes no arguments"}
	}
	v, c, g := versionInfo()
	fmt.Fprintf(stdout, "kabinet %s\ncommit %s\n%s\n", v, c, g)
	return nil
}

// synopses are the positional arguments each command's help shows.
var synopses = map[string]string{
	"serve": "[flags]", "token": "--role ROLE --sub ID [--account ID] [flags]",
	"migrate": "[status|up] [flags]", "migrate up": "[flags]", "migrate status": "[flags]", "projections rebuild": "[NAME] [flags]", "journal verify": "[flags]",
	"journal export": "[flags]", "journal witness": "--url URL --state FILE --key VERIFIER_KEY",
	"history": "ACCOUNT_ID [flags]", "probe": "URL", "bench": "[flags]",
	"delivery dead-letters": "[flags]", "projections poison list": "[--consumer NAME] [flags]",
	"projections poison replay": "ID [flags]",
}
