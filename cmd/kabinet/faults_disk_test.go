package main

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips loudly where
// the test may not mount one (not root, no mount(8)).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "kabinet-test", dir).CombinedOutput()
	if err != nil {
		t.Skipf("!!! SKIPPING: cannot mount a small tmpfs here (%v: %s); the disk-full test needs root", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes a file into dir until its file system is full and
// returns the file's path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling the disk: %v", err)
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last few blocks too
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	return path
}

// TestStoreFaults_SQLiteDiskFullAndBack fills the file system of the
// embedded stores: commands answer 503 store_unavailable with Retry-After
// (never 500), /readyz is unready; once space is freed the service resumes
// without a restart and every acknowledged command is found.
func TestStoreFaults_SQLiteDiskFullAndBack(t *testing.T) {
	disk := smallDisk(t, "48m")
	fs := startFaultServer(t, "--data-dir", filepath.Join(disk, "data"))
	acked := acknowledged{}
	n := 0
	for range 3 {
		n++
		id, pos, a := fs.register(n)
		require.NotEmpty(t, id, "%v %v", a.err, a.body)
		acked[id] = pos
	}
	require.Equal(t, http.StatusOK, readyStatus(fs))

	t.Log("injected: the data dir's file system is filled up")
	filler := fillDisk(t, disk)
	refused := 0
	for range 20 { // SQLite may still fit a few pages in its files' slack
		n++
		id, pos, a := fs.register(n)
		require.NoError(t, a.err, "no answer while the disk is full")
		require.NotEqual(t, http.StatusInternalServerError, a.status, "%v", a.body)
		if id != "" {
			acked[id] = pos
			continue
		}
		assertUnavailable(t, "register on a full disk", a)
		refused++
	}
	require.Positive(t, refused, "a full disk refuses commands")
	require.Equal(t, http.StatusServiceUnavailable, readyStatus(fs), "readyz on a full disk")

	t.Log("restored: the filler is removed")
	require.NoError(t, os.Remove(filler))
	require.Eventually(t, func() bool { return readyStatus(fs) == http.StatusOK }, 30*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool {
		n++
		id, pos, _ := fs.register(n)
		if id != "" {
			acked[id] = pos
		}
		return id != ""
	}, 60*time.Second, 200*time.Millisecond, "a registration is acknowledged after the disk has room again")
	t.Logf("saw: %d refused on the full disk, %d acknowledged in all", refused, len(acked))
	fs.assertNothingLost(t, acked)
}
