package main

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/spool"
)

// buildAgent builds the real capture-agent binary into a temp dir.
func buildAgent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "capture-agent")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (make deps)", name)
		}
		t.Skipf("%s not installed (make deps)", name)
	}
}

// Issue 5 point 3: a real capture-agent process killed with SIGKILL at a
// random instant after a few seconds; Recover gets everything up to at
// most 2 s before the kill, and the WebM made from it plays in ffprobe
// and decodes in ffmpeg.
func TestKill9Recovery(t *testing.T) {
	needTool(t, "ffprobe")
	needTool(t, "ffmpeg")
	bin := buildAgent(t)
	dir := t.TempDir()
	sp, wm := filepath.Join(dir, "k.spool"), filepath.Join(dir, "k.webm")
	cmd := exec.Command(bin, "record", "--synthetic", "--out", sp, "--min-free", "1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "recording to") {
		t.Fatalf("agent did not start: %q %v\n%s", line, err, stderr.String())
	}
	// The media clock started before that line: from here on, the
	// elapsed wall time is at most the recorded media time.
	t0 := time.Now()
	time.Sleep(3*time.Second + rand.N(3*time.Second)) // the random instant of the kill
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(t0)
	_ = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("agent was not killed by SIGKILL: %v", cmd.ProcessState)
	}

	r, err := spool.Recover(sp)
	if err != nil {
		t.Fatal(err)
	}
	loss := elapsed - r.Duration
	t.Logf("killed after %v; recovered %v (%d video, %d audio packets); loss %v; dropped %d bytes (%v)",
		elapsed.Round(time.Millisecond), r.Duration, r.Video, r.Audio, loss.Round(time.Millisecond), r.Dropped, r.Stopped)
	r.Close()
	if loss > 2*time.Second {
		t.Fatalf("recovered %v of %v: lost more than 2 s", r.Duration, elapsed)
	}
	if r.Video == 0 || r.Audio == 0 {
		t.Fatalf("recovered %d video and %d audio packets", r.Video, r.Audio)
	}

	if out, err := exec.Command(bin, "recover", sp, "--webm", wm).CombinedOutput(); err != nil {
		t.Fatalf("recover: %v\n%s", err, out)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", wm).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p struct {
		Streams []struct {
			CodecName string `json:"codec_name"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Streams) != 2 || p.Streams[0].CodecName != "vp8" || p.Streams[1].CodecName != "opus" {
		t.Fatalf("streams %s", out)
	}
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); d < (elapsed - 2*time.Second).Seconds() {
		t.Fatalf("webm duration %v s, killed after %v", d, elapsed)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-xerror", "-i", wm, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("ffmpeg decode of the recovered file: %v\n%s", err, out)
	}
}
