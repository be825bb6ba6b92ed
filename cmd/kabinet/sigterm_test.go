package main

import (
	"bufio"
	"encoding/json"
	"net/http"
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

// binary builds cmd/kabinet once per test run.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kabinet")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

type proc struct {
	cmd  *exec.Cmd
	addr string
	logs chan string
	done chan error
}

// startBinary runs `kabinet serve` on a free port and waits until it listens.
func startBinary(t *testing.T, bin, dataDir string, extra ...string) *proc {
	t.Helper()
	return startBinaryEnv(t, bin, dataDir, nil, extra...)
}

// startBinaryEnv is startBinary with extra environment variables.
func startBinaryEnv(t *testing.T, bin, dataDir string, env []string, extra ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, extra...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, logs: make(chan string, 1000), done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "kabinet serving" {
				addr <- rec["addr"].(string)
			}
			select {
			case p.logs <- line:
			default:
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("kabinet did not start listening")
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

func (p *proc) url(path string) string { return "http://" + p.addr + path }

func postJSON(t *testing.T, url, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, raw, err := contractDo(t, nil, req)
	require.NoError(t, err)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

// TestSIGTERM_DrainsInFlightThenRestartContinues starts the real binary,
// keeps a request in flight while SIGTERM arrives, checks that request is
// answered and the process exits cleanly, then restarts on the same data
// dir and sees the earlier account and a log that continues after it.
func TestSIGTERM_DrainsInFlightThenRestartContinues(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := binary(t)
	dir := t.TempDir()
	p := startBinary(t, bin, dir, "--min-position-wait", "1500ms")

	status, reg := postJSON(t, p.url("/v1/accounts"), `{"surname":"Ким","given_names":"Анна","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"KZ","email":"anna.kim@example.com"}`)
	require.Equal(t, 201, status)
	id, tok := reg["account_id"].(string), reg["token"].(string)
	firstPos := reg["position"].(float64)

	// A read waiting for a position that never comes stays in flight ~1.5 s.
	inflight := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", p.url("/v1/accounts/"+id+"/cabinet"), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Kabinet-Min-Position", "1000000")
		resp, _, err := contractDo(t, nil, req)
		if err != nil {
			inflight <- -1
			return
		}
		inflight <- resp.StatusCode
	}()
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 503, <-inflight, "the in-flight request was drained, not cut")
	select {
	case err := <-p.done:
		require.NoError(t, err, "clean exit after SIGTERM")
	case <-time.After(20 * time.Second):
		t.Fatal("kabinet did not exit after SIGTERM")
	}
	for _, f := range []string{"jwt.secret", "hmac.key", "journal.key", "blob.key", "payment.secret", "outbox.jsonl"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), f)
	}

	p2 := startBinary(t, bin, dir)
	req, _ := http.NewRequest("GET", p2.url("/v1/accounts/"+id+"/cabinet"), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Kabinet-Min-Position", "1")
	resp, _, err := contractDo(t, nil, req)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, "the token and the account survive a restart")
	status, reg2 := postJSON(t, p2.url("/v1/accounts"), `{"surname":"Ли","given_names":"Мин","consent":{"personal_data":true,"version":"2026-01"},"citizenship":"CN","email":"min.li@example.com"}`)
	require.Equal(t, 201, status)
	assert.Greater(t, reg2["position"].(float64), firstPos, "the log continues where it stopped")
	require.NoError(t, p2.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, <-p2.done)
}
