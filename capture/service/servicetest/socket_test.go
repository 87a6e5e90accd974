package servicetest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/agentdesk/agentdesk/capture/service"
)

// otherUser makes a throwaway Unix user (the tests run as root) and
// removes it in Cleanup.
func otherUser(t *testing.T) (uid, gid uint32) {
	t.Helper()
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root: cannot make a second user")
		}
		t.Skip("needs root to make a second user")
	}
	needTool(t, "useradd")
	name := fmt.Sprintf("catest%d", rand.N(1000000))
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", name, err, out)
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := strconv.Atoi(u.Uid)
	b, _ := strconv.Atoi(u.Gid)
	return uint32(a), uint32(b)
}

// Issue 15 point 3, proof in CI: the control socket answers only its own
// user (SO_PEERCRED). The socket is even opened up to everyone (its folder
// 0755, the socket 0666), so the refusal is the peer-credential check and
// not the file mode: another user's capture-agent status is refused with
// exit 3 and the reason; the owner's is answered; the refusal is counted.
func TestSocketRefusesAnotherUser(t *testing.T) {
	uid, gid := otherUser(t)
	dir := shortDir(t)
	sock := filepath.Join(dir, "run", "capture.sock")
	cfg := writeConfig(t, dir, fmt.Sprintf(`capture:
  mode: "off"
upload:
  dir: %s/up
  plaintext: true
service:
  socket: %s
  log: stderr
`, dir, sock))
	startAgent(t, cfg, sock, "HOME="+dir)
	st, err := os.Stat(sock)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v %v, want 0600", st.Mode(), err)
	}
	if st, err := os.Stat(filepath.Dir(sock)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket folder mode %v %v, want 0700", st.Mode(), err)
	}
	for _, p := range []string{dir, filepath.Dir(sock)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	ca := bin(t, "capture-agent")
	if err := os.Chmod(filepath.Dir(ca), 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(ca, "status", "--socket", sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	cmd.Env = []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 3 || !strings.Contains(string(out), "refused: the capture agent's socket answers only the user it runs as") {
		t.Fatalf("another user's status: %v\n%s", err, out)
	}

	code, stdout, stderr := runBin(t, nil, ca, "status", "--socket", sock)
	if code != 0 || !strings.Contains(stdout, "Recordings in progress: 0") {
		t.Fatalf("the owner's status: exit %d\n%s%s", code, stdout, stderr)
	}
	code, metrics, _ := runBin(t, nil, ca, "metrics", "--socket", sock)
	if code != 0 || !strings.Contains(metrics, "capture_agent_refused_connections_total 1\n") {
		t.Fatalf("metrics: exit %d\n%s", code, metrics)
	}
	code, js, _ := runBin(t, nil, ca, "status", "--json", "--socket", sock)
	if code != 0 || !strings.Contains(js, `"refused_connections": 1`) || !strings.Contains(js, `"upload_to": "folder `+dir+`/up"`) {
		t.Fatalf("status --json: exit %d\n%s", code, js)
	}
}

// Issue 15 point 2, proof in CI: a bad config makes run and config check
// exit 2 with file:line: key: what is wrong; a missing socket makes status
// exit 3; a second service of the same user exits 4.
func TestBadConfigAndExitCodes(t *testing.T) {
	ca := bin(t, "capture-agent")
	dir := shortDir(t)
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("capture:\n  mode: auto\n  fps: 90\nupload:\n  plaintext: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := bad + ":3: capture.fps: \"90\": want a whole number in 1..30"
	for _, args := range [][]string{{"run", "--config", bad, "--user-config", ""}, {"config", "check", bad}} {
		code, _, errs := runBin(t, []string{"HOME=" + dir}, ca, args...)
		if code != 2 || !strings.Contains(errs, want) {
			t.Fatalf("%v: exit %d (want 2), stderr %q (want %q)", args, code, errs, want)
		}
	}
	code, _, errs := runBin(t, nil, ca, "status", "--socket", filepath.Join(dir, "none.sock"))
	if code != 3 || !strings.Contains(errs, "not running") {
		t.Fatalf("status without a service: exit %d %q", code, errs)
	}
	sock := filepath.Join(dir, "s.sock")
	port := freePort(t)
	good := writeConfig(t, dir, fmt.Sprintf("capture: {mode: \"off\"}\nupload: {dir: %s/up, plaintext: true}\nservice: {socket: %s, metrics_listen: \"127.0.0.1:%d\"}\n", dir, sock, port))
	a := startAgent(t, good, sock, "HOME="+dir)
	// issue 15 point 5: not under systemd, the log is the rotating file
	// (under systemd, JOURNAL_STREAM says the journal takes stderr)
	logFile := filepath.Join(dir, ".local", "state", "agentdesk", "capture-agent.log")
	if b, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(b), "capture agent running") || a.stderr.String() != "" {
		t.Fatalf("log file %s: %v %q; stderr %q", logFile, err, b, a.stderr.String())
	}
	// issue 15 point 3: agentdesk doctor says the desktop would capture
	// through this service (and in-process when none answers)
	code, out, _ := runBin(t, []string{service.SocketEnv + "=" + sock, "DISPLAY="}, bin(t, "agentdesk"), "doctor")
	if code != 1 || !strings.Contains(out, "Capture\n  by the capture-agent service ") || !strings.Contains(out, "at "+sock) {
		t.Fatalf("agentdesk doctor with the service: exit %d\n%s", code, out)
	}
	_, out, _ = runBin(t, []string{service.SocketEnv + "=" + filepath.Join(dir, "none.sock"), "DISPLAY="}, bin(t, "agentdesk"), "doctor")
	if !strings.Contains(out, "Capture\n  in this desktop: no capture-agent service runs for this user") {
		t.Fatalf("agentdesk doctor without the service:\n%s", out)
	}
	// and the metrics on the loopback port as on the socket
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"capture_agent_upload_queue_length 0\n", "capture_agent_upload_queue_age_seconds 0\n", "# TYPE capture_agent_recordings_total counter\n",
		"capture_agent_capture_frame_seconds ", "capture_agent_capture_dropped_frames ", "capture_agent_encoder_cpu_seconds "} {
		if !strings.Contains(string(body), m) {
			t.Errorf("loopback metrics lack %q:\n%s", m, body)
		}
	}
	code, _, errs = runBin(t, []string{"HOME=" + dir}, ca, "run", "--config", good, "--user-config", "")
	if code != 4 || !strings.Contains(errs, "already running") {
		t.Fatalf("a second service: exit %d %q", code, errs)
	}
	if code, out, _ := runBin(t, nil, ca, "--version"); code != 0 || !strings.HasPrefix(out, "capture-agent ") {
		t.Fatalf("--version: %d %q", code, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Issue 15 point 6: on a Wayland session the service does not record the
// screen and says why (status, doctor), in words; the journal log (under
// systemd) has no time stamps of its own.
func TestWaylandRefusedWithReason(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "w.sock")
	cfg := writeConfig(t, dir, fmt.Sprintf("upload: {dir: %s/up, plaintext: true}\nservice: {socket: %s}\n", dir, sock))
	env := []string{"HOME=" + dir, "WAYLAND_DISPLAY=wayland-0", "XDG_SESSION_TYPE=wayland", "JOURNAL_STREAM=8:1234", "DISPLAY="}
	a := startAgent(t, cfg, sock, env...)
	r := report(t, sock)
	if !strings.Contains(r.Warning, "WAYLAND_DISPLAY=wayland-0") || !strings.Contains(r.Warning, "desktop portal") {
		t.Fatalf("status warning: %q", r.Warning)
	}
	if log := a.stderr.String(); !strings.Contains(log, "level=WARN msg=\"wayland session") || strings.Contains(log, "time=") {
		t.Fatalf("journal log: %q", log)
	}
	code, out, _ := runBin(t, env, bin(t, "capture-agent"), "doctor", "--config", cfg, "--user-config", "", "--socket", sock)
	if code != 1 || !strings.Contains(out, "PROBLEM: wayland session (WAYLAND_DISPLAY=wayland-0)") || !strings.Contains(out, "log in to an X11 (Xorg) session") {
		t.Fatalf("doctor on Wayland: exit %d\n%s", code, out)
	}
}

// The text desktop's screens over the socket (issue 17 through the
// service): a frame for an unknown session is a 404, one of no or of
// absurd size a 400 in words, the attached desktop's is taken (204).
func TestFrameRequests(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "f.sock")
	cfg := writeConfig(t, dir, fmt.Sprintf("capture: {mode: \"off\"}\nupload: {dir: %s/up, plaintext: true}\nservice: {socket: %s}\n", dir, sock))
	startAgent(t, cfg, sock, "HOME="+dir)
	s, err := service.NewClient(sock).Attach(t.Context(), service.AttachRequest{PID: 4242}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := hc.Post("http://capture-agent"+service.PathFrame, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	id := s.Info().Session
	for _, c := range []struct {
		body string
		code int
		want string
	}{
		{`{"session":"nobody","content":"x","cols":80,"rows":24}`, http.StatusNotFound, ""},
		{`{"session":"` + id + `","content":"x","cols":0,"rows":24}`, http.StatusBadRequest, "want 1..1000"},
		{`{"session":"` + id + `","content":"x","cols":80,"rows":100000}`, http.StatusBadRequest, "want 1..1000"},
		{`{"session":"` + id + `","content":"x","cols":80,"rows":24,"extra":1}`, http.StatusBadRequest, "unknown field"},
		{`{"session":"` + id + `","content":"hello","cols":80,"rows":24}`, http.StatusNoContent, ""},
	} {
		if code, out := post(c.body); code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%s: %d %q, want %d %q", c.body, code, out, c.code, c.want)
		}
	}
	if r := report(t, sock); r.Counters["screens_recorded"] != 1 {
		t.Fatalf("screens recorded %v, want the one", r.Counters)
	}
}
