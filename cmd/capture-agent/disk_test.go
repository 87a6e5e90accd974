package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/capture/spool"
)

// mountTmpfs mounts a tmpfs of size on a temp dir for the test (root
// needed: fails under CI, skips otherwise).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount tmpfs: %v: %s", err, out)
		}
		t.Skipf("mount tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Issue 5 point 4: the disk fills during a recording: the agent stops
// cleanly, says so, keeps what was captured, and it recovers whole.
func TestRecordDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	sp := filepath.Join(dir, "r.spool")
	m := &Main{Devices: fakeDevices{frameBytes: 60000}}
	code, out, errOut := run(t, m, "record", "--synthetic", "--fps", "30", "--out", sp, "--min-free", "0", "--seconds", "30")
	if code != exitFailure || !strings.Contains(errOut, "disk full: recording stopped") || !strings.Contains(errOut, "s kept") || !strings.Contains(out, "kept "+sp) {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	t.Logf("%s%s", out, errOut)
	r, err := spool.Recover(sp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Dropped != 0 || r.Stopped != nil || r.Video < 5 || r.Audio == 0 {
		t.Fatalf("recovered %d video %d audio, dropped %d (%v)", r.Video, r.Audio, r.Dropped, r.Stopped)
	}
	wm := filepath.Join(t.TempDir(), "r.webm")
	if code, out, errOut := run(t, m, "recover", sp, "--webm", wm); code != exitOK {
		t.Fatalf("recover after disk full: %d %s %s", code, out, errOut)
	}
}
