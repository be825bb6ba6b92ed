package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADME_WalkthroughsWorkAsWritten runs the README's shell blocks —
// registration, the confirmed account and its applications, the payment,
// the auditor's history and state, the journal, the outside verifier and
// the witness — against the built binary serving an embedded data dir,
// as a reader would paste them, and checks what each step answers.
func TestREADME_WalkthroughsWorkAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, tool := range []string{"bash", "curl", "openssl", "od", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP: the README's walkthroughs need %s", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.GreaterOrEqual(t, len(blocks), 8, "the walkthroughs' blocks")

	dir := t.TempDir()
	bin := binary(t)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
	require.NoError(t, os.Symlink(bin, filepath.Join(dir, "bin", "kabinet")))
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	for _, f := range []string{"go.mod", "go.sum", "docs"} { // go run ./docs/examples/journal-verify
		require.NoError(t, os.Symlink(filepath.Join(repo, f), filepath.Join(dir, f)))
	}
	p := startBinary(t, bin, filepath.Join(dir, "data"))

	var script strings.Builder
	script.WriteString("set -u\n")
	for _, b := range blocks[1:] { // all but `make run` / `make test`
		script.WriteString(b[1])
	}
	s := strings.ReplaceAll(script.String(), "localhost:8080", p.addr)
	s = strings.ReplaceAll(s, "/tmp/", filepath.Join(dir, "tmp")+"/")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "tmp"), 0o700))
	cmd := exec.Command("bash", "-c", s)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	text := string(out)
	require.NoError(t, err, text)

	for _, want := range []string{
		`"level":"simplified"`, `"level":"confirmed"`, // the cabinet after each walkthrough
		`"status":"approved"`, `"code":"invalid_transition"`, // the arrival notification
		`"status":"awaiting_payment"`, `"fee":{"amount":100000,"currency":"RUB"}`, // the fee-bearing service
		`"status":"accepted","transaction_id":"tx-`, // the signed payment, and its redelivery
		`"service":"stay_registration","status":"accepted"`,
		`"state":{`, "FeePaid", // the auditor's state at now, the history table
		`"ok":true`, "journal OK:", "journal-verify: OK", "witness: first checkpoint accepted",
	} {
		assert.Contains(t, text, want)
	}
	problems := regexp.MustCompile(`"code":"([a-z_]+)"`).FindAllStringSubmatch(text, -1)
	for _, m := range problems {
		assert.Contains(t, string(readme), m[1], "only errors the README shows happen (%s)", m[1])
	}
	assert.Equal(t, 2, strings.Count(text, `"status":"accepted","transaction_id":"tx-`), "a redelivered payment answers the same")
	b64 := `[A-Za-z0-9+/]{43}=`
	assert.Regexp(t, `"root_hash":"`+b64+`"`, text)
	assert.Regexp(t, `journal OK: \d+ entries[^,\n]*, root `+b64+`,`, text, "the CLI prints roots as the API does")
	assert.Regexp(t, `witness: first checkpoint accepted \(size \d+, root `+b64+`\)`, text)
}

// TestREADME_ConfigurationTableHasEverySetting keeps README's table in step
// with the settings the binary reads.
func TestREADME_ConfigurationTableHasEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(raw)
	for _, s := range settings {
		assert.True(t, strings.Contains(readme, "| `--"+s.flag+"` | `"+s.env+"` |"), "README lacks the row of --%s (%s)", s.flag, s.env)
	}
}
