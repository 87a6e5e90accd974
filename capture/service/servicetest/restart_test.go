package servicetest

import (
	"context"
	"fmt"
	"image"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/internal/pulse"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/agentdesk/agentdesk/capture/service"
	"github.com/agentdesk/agentdesk/session"
)

// observe sends a frame as the desktop would pass it on.
func observe(t *testing.T, s *service.Session, typ, chat string, data any) {
	t.Helper()
	e, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Observe(t.Context(), e); err != nil {
		t.Fatal(err)
	}
}

// recordChat passes the frames of a connected chat whose Record is on.
func recordChat(t *testing.T, s *service.Session, chat string) {
	t.Helper()
	observe(t, s, session.TypeChat, chat, session.ChatData{ID: chat, Customer: "kim", Queue: "general", State: session.Connected,
		CreatedAt: time.Now(), Transcript: []session.MessageData{}})
	observe(t, s, session.TypeRecording, chat, session.RecordingData{Recording: true,
		Recordings: []session.RecordingInfo{{ID: "r1", Kind: "record", State: "recording", Screen: true, By: "agent"}}})
}

// Issue 15 points 4, 5 and 6, proof in CI: the service records the
// monitor the config chooses (the second of two), its metrics show the
// capture's frame time and encoder time; a second desktop of the same user
// attaches to the running service as a viewer (its frames drive nothing,
// the devices stay with the first); the service killed with SIGKILL
// mid-recording and started again recovers the spool, combines it and
// uploads it (the queue resumes, R-V10), and the desktops' sessions
// attach again by themselves.
func TestServiceKilledAndRestarted_R_V10(t *testing.T) {
	needTool(t, "ffprobe")
	dir := shortDir(t)
	needTool(t, "xrandr")
	// two monitors side by side; the config records the second only
	scr := xvfb.StartConfig(t, xvfb.Config{Width: 560, Height: 240,
		Monitors: []image.Rectangle{image.Rect(0, 0, 400, 240), image.Rect(400, 0, 560, 240)}})
	pulse.Start(t)
	sock := filepath.Join(dir, "capture.sock")
	up := filepath.Join(dir, "up")
	cfg := writeConfig(t, dir, fmt.Sprintf(`capture:
  mode: real
  display: %q
  monitors: "1"
upload:
  dir: %s
  plaintext: true
service:
  socket: %s
  heartbeat_timeout: 30s
  log: stderr
`, scr.Name(), up, sock))
	a := startAgent(t, cfg, sock, "HOME="+dir)

	c := service.NewClient(sock)
	ctx := context.Background()
	first, err := c.Attach(ctx, service.AttachRequest{PID: 1001}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := c.Attach(ctx, service.AttachRequest{PID: 1002}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if !first.Info().Primary || second.Info().Primary {
		t.Fatalf("primary: first %v, second %v", first.Info().Primary, second.Info().Primary)
	}
	recordChat(t, second, "other") // a viewer's frames start nothing
	recordChat(t, first, "c1")
	waitReport(t, sock, "c1 recorded on screen and voice", 30*time.Second, func(r service.Report) bool {
		return len(r.Captures) == 1 && r.Captures[0].Chat == "c1" && r.Captures[0].Screen && r.Captures[0].Voice &&
			r.Captures[0].Media >= 3*time.Second
	})
	deadline := time.Now().Add(5 * time.Second)
	for first.Status("c1").Media < 2*time.Second { // the desktop's copy follows
		if time.Now().After(deadline) {
			t.Fatalf("the session's status of c1: %+v", first.Status("c1"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := report(t, sock); len(r.Desktops) != 2 || r.Counters["frames_observed"] != 2 {
		t.Fatalf("desktops %+v, counters %v", r.Desktops, r.Counters)
	}
	metrics, err := c.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"capture_agent_recordings_in_progress 1\n", "capture_agent_desktops 2\n"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("metrics lack %q", m)
		}
	}
	for _, m := range []string{"capture_agent_capture_frame_seconds", "capture_agent_encoder_cpu_seconds", "capture_agent_capture_bytes"} {
		if v := metricValue(metrics, m); !(v > 0) {
			t.Errorf("%s = %v while recording, want > 0", m, v)
		}
	}

	a.kill9(t)
	spools, _ := filepath.Glob(filepath.Join(dir, ".local", "state", "agentdesk", "capture", "capture", "*.spool"))
	if len(spools) != 1 {
		t.Fatalf("spools after the kill: %v", spools)
	}
	startAgent(t, cfg, sock, "HOME="+dir)
	rep := waitReport(t, sock, "the spool recovered and uploaded", 60*time.Second, func(r service.Report) bool {
		return r.Last != nil && r.Queue.Length == 0
	})
	if rep.Last.Name != "c1_r1_recovered.webm" {
		t.Fatalf("last upload %+v", rep.Last)
	}
	file := filepath.Join(up, "c1_r1_recovered.webm")
	if _, codecs := probe(t, file); codecs != "vp8,opus" {
		t.Fatalf("recovered file tracks %s", codecs)
	}
	if w := videoWidth(t, file); w != 160 {
		t.Fatalf("recorded width %d, want monitor 1's 160", w)
	}
	if out, err := ffprobeDuration(file); err != nil || out < 2.5 {
		t.Fatalf("recovered file lasts %.2f s (%v), want at least 2.5", out, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".local", "state", "agentdesk", "capture", "capture", "*.spool")); len(left) != 0 {
		t.Fatalf("spools left after recovery: %v", left)
	}
	waitReport(t, sock, "both desktops attached again", 30*time.Second, func(r service.Report) bool { return len(r.Desktops) == 2 })
}

// metricValue reads one sample of the Prometheus text (NaN when absent).
func metricValue(text, name string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return math.NaN()
}

func videoWidth(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width", "-of", "default=nw=1:nk=1", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return w
}

func ffprobeDuration(path string) (float64, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", path).Output()
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}
