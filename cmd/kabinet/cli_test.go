package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runBinary runs bin with args and returns its stdout, stderr and exit code.
func runBinary(t *testing.T, bin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

func TestVersion_PrintsModuleVersionCommitAndGoVersion(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("SKIP: not in a git checkout (%v): the commit cannot be checked", err)
	}
	bin := filepath.Join(t.TempDir(), "kabinet")
	out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	stdout, _, code := runBinary(t, bin, nil, "version")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, stdout)
	assert.Regexp(t, `^kabinet (v\S+|\(devel\))$`, lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "commit "+strings.TrimSpace(string(head))), "commit from the build's VCS info: %s", lines[1])
	assert.Regexp(t, `^go1\.\d+`, lines[2])
}

// TestHelp_EveryCommandExitsZeroWithItsFlagsAndTypes asks every command and
// subcommand for --help: each exits 0 and lists its own flags with types.
func TestHelp_EveryCommandExitsZeroWithItsFlagsAndTypes(t *testing.T) {
	bin := binary(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"kabinet serve", "kabinet version"}},
		{[]string{"serve", "--help"}, []string{"--addr string", "--min-position-wait duration", "--checkpoint-every uint", "--log-level debug|info|warn|error", "--role api|worker|all"}},
		{[]string{"token", "--help"}, []string{"--role citizen|operator", "--ttl duration", "--sub string"}},
		{[]string{"--help"}, []string{"kabinet migrate [status|up]"}},
		{[]string{"migrate", "--help"}, []string{"Usage: kabinet migrate [status|up] [flags]", "--data-dir string"}},
		{[]string{"migrate", "status", "--help"}, []string{"Usage: kabinet migrate status [flags]", "--readstore string"}},
		{[]string{"projections", "--help"}, []string{"kabinet projections rebuild"}},
		{[]string{"projections", "rebuild", "--help"}, []string{"Usage: kabinet projections rebuild [NAME]", "--readstore string"}},
		{[]string{"journal", "--help"}, []string{"kabinet journal verify", "kabinet journal witness"}},
		{[]string{"journal", "verify", "--help"}, []string{"Usage: kabinet journal verify", "--data-dir string"}},
		{[]string{"journal", "export", "--help"}, []string{"--from uint"}},
		{[]string{"journal", "witness", "--help"}, []string{"--url string", "--state string", "--key string"}},
		{[]string{"journal", "keygen", "--help"}, []string{"Usage: kabinet journal keygen"}},
		{[]string{"history", "--help"}, []string{"Usage: kabinet history ACCOUNT_ID", "--format ndjson|table"}},
		{[]string{"probe", "--help"}, []string{"Usage: kabinet probe URL"}},
		{[]string{"bench", "--help"}, []string{"--duration duration", "--concurrency int", "--journal bool", "--report-every duration", "--memprofile string"}},
		{[]string{"bench", "reads", "--help"}, []string{"--connections int", "--cpuprofile string"}},
		{[]string{"projections", "poison", "--help"}, []string{"kabinet projections poison list"}},
		{[]string{"projections", "poison", "list", "--help"}, []string{"--consumer string"}},
		{[]string{"projections", "poison", "replay", "--help"}, []string{"Usage: kabinet projections poison replay ID"}},
		{[]string{"version", "--help"}, []string{"Usage: kabinet version"}},
		{[]string{"esign", "--help"}, []string{"esign test-cert"}},
		{[]string{"esign", "test-cert", "--help"}, []string{"--data-dir DIR", "--name"}},
		{[]string{"delivery", "--help"}, []string{"kabinet delivery dead-letters"}},
		{[]string{"delivery", "dead-letters", "--help"}, []string{"--readstore string", "--limit int"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			stdout, stderr, code := runBinary(t, bin, nil, c.args...)
			require.Equal(t, 0, code, stderr)
			for _, w := range c.want {
				assert.Contains(t, stdout, w)
			}
		})
	}
}

func TestServe_UnknownLogLevelOrFormatIsAnError(t *testing.T) {
	bin := binary(t)
	dir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{{"--log-level", "loud"}, {"--log-format", "xml"}} {
		_, stderr, code := runBinary(t, bin, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, args...)...)
		assert.Equal(t, 2, code, "a usage error")
		assert.Contains(t, stderr, strings.TrimPrefix(args[0], "--")+" must be")
	}
	_, stderr, code := runBinary(t, bin, []string{"KABINET_LOG_LEVEL=verbose"}, "serve", "--data-dir", dir)
	assert.Equal(t, 2, code, "the env var is checked as well")
	assert.Contains(t, stderr, `"verbose"`)
	assert.NoDirExists(t, dir)
}

func TestServe_PortInUseFailsBeforeAnythingIsCreated(t *testing.T) {
	bin := binary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	_, stderr, code := runBinary(t, bin, nil, "serve", "--addr", ln.Addr().String(), "--data-dir", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "address already in use")
	assert.NoDirExists(t, dir, "nothing created in the data dir")
}

func TestServe_StartUpLogNamesTheURLTheDocsAndTheFilesItCreated(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	p := startBinary(t, bin, dir)
	var rec map[string]any
	for line := range p.logs {
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "kabinet serving" {
			break
		}
	}
	assert.Equal(t, "http://"+p.addr, rec["url"])
	assert.Equal(t, "http://"+p.addr+"/openapi.json", rec["openapi"])
	assert.Equal(t, "http://"+p.addr+"/docs", rec["docs"], "the start-up log names the reference page")
	created, _ := rec["created"].([]any)
	for _, f := range []string{"events.db", "read.db", "jwt.secret", "hmac.key", "journal.key", "outbox.jsonl"} {
		assert.Contains(t, created, f)
	}
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, <-p.done)

	p2 := startBinary(t, bin, dir)
	for line := range p2.logs {
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "kabinet serving" {
			break
		}
	}
	assert.Empty(t, rec["created"], "a restart creates nothing")
}

// TestRebuild_RefusesWhileAServerHoldsTheProjectionsLease runs
// `projections rebuild` beside a running server (refused, naming why) and
// after it stopped (done).
func TestRebuild_RefusesWhileAServerHoldsTheProjectionsLease(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	p := startBinary(t, bin, dir)
	_, stderr, code := runBinary(t, bin, nil, "projections", "rebuild", "cabinet", "--data-dir", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "holds the projections' lease")
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("kabinet did not stop")
	}
	stdout, stderr, code := runBinary(t, bin, nil, "projections", "rebuild", "cabinet", "--data-dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "rebuilt cabinet")
}
