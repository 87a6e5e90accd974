package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/hubtest"
)

// startXvfb starts a private w x h Xvfb (-displayfd picks the number) and
// returns its display name; it is killed when the test ends. Without
// Xvfb the test fails under CI and is skipped otherwise.
func startXvfb(t *testing.T, w, h int) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Xvfb not installed (make deps)")
		}
		t.Skip("Xvfb not installed (make deps)")
	}
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{wr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var num string
	_, err = fmt.Fscanln(r, &num)
	r.Close()
	if err != nil || num == "" {
		t.Fatalf("Xvfb gave no display number: %v", err)
	}
	return ":" + num
}

// startPulse starts a private PulseAudio daemon with a 440 Hz sine source
// as the default input and returns its PULSE_SERVER address (the
// capture/internal/pulse harness, which cmd/ cannot import, in brief).
func startPulse(t *testing.T) string {
	t.Helper()
	for _, bin := range []string{"pulseaudio", "pactl"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not installed (make deps)", bin)
			}
			t.Skipf("%s not installed (make deps)", bin)
		}
	}
	dir, err := os.MkdirTemp("", "pulse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "native")
	cmd := exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
		"--disallow-exit", "--log-target=stderr",
		"-L", "module-native-protocol-unix auth-anonymous=1 socket="+sock,
		"-L", "module-null-sink",
		"-L", "module-sine-source source_name=sine frequency=440 rate=48000")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "PULSE_SERVER=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "unix:" + sock
	pactl := func(args ...string) error {
		c := exec.Command("pactl", args...)
		c.Env = append(os.Environ(), "PULSE_SERVER="+addr)
		return c.Run()
	}
	deadline := time.Now().Add(20 * time.Second)
	for pactl("info") != nil {
		if time.Now().After(deadline) {
			t.Fatal("pulseaudio did not answer in 20 s")
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err := pactl("set-default-source", "sine"); err != nil {
		t.Fatal(err)
	}
	return addr
}

func runDoctor(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	m := &Main{Getenv: func(k string) string { return env[k] }}
	var out, errOut bytes.Buffer
	code := m.Run(t.Context(), append([]string{"doctor"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String() + errOut.String()
}

func healthyHub(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte(`{"ok":true}`))
		case "/v1/store/key":
			w.Write([]byte(`{"recipient":"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Issue 5 point 5: on a desktop with a display (Xvfb), a microphone
// (PulseAudio's sine through PortAudio), disk and a hub, the doctor lists
// them, test-captures each, and says all is good.
func TestDoctorAllGood(t *testing.T) {
	display := startXvfb(t, 640, 480)
	t.Setenv("PULSE_SERVER", startPulse(t))
	code, out := runDoctor(t, map[string]string{"DISPLAY": display}, "--hub", healthyHub(t)+"/v1/agent", "--spool-dir", t.TempDir(), "--min-free", "1")
	for _, w := range []string{display + " monitor 0: 640x480", "test capture: 5 frames", "capture path damage: reads only what X Damage reports", "(default)", "test capture of the default input: level -", "healthy", "MB free", "Verdict: all good"} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	if code != exitOK || strings.Contains(out, "PROBLEM") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// Issue 5 point 5: without DISPLAY, without a sound server, with the hub
// down and the disk under the floor, the verdict names each problem with its fix; exit 1.
func TestDoctorProblemsAndFixes(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(t.TempDir(), "no-pulse-here"))
	code, out := runDoctor(t, map[string]string{}, "--hub", deadURL, "--spool-dir", t.TempDir(), "--min-free", "100000000")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, w := range []string{
		"no DISPLAY", "fix: start an X session or set DISPLAY",
		"unreachable", "fix: check the address and that chathub runs there",
		"under the 100000000 MB floor", "fix: free disk space there",
		"no microphone", "fix: plug in a headset, or start PulseAudio",
		"Verdict: ",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("verdict lacks %q:\n%s", w, out)
		}
	}
}

func TestDoctorUsage(t *testing.T) {
	if code, out := runDoctor(t, nil, "--help"); code != exitOK || !strings.Contains(out, "--spool-dir") {
		t.Fatalf("--help: %d %s", code, out)
	}
	if code, _ := runDoctor(t, nil, "--bogus"); code != exitUsage {
		t.Fatalf("bad flag: exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runDoctor(t, map[string]string{}, "--spool-dir", filepath.Join(file, "spool"), "--min-free", "1"); code != exitFailure || !strings.Contains(out, "create the directory") {
		t.Fatalf("spool dir that cannot be created: %d %s", code, out)
	}
	// A spool folder the desktop has not created yet is fine: its parent's
	// free space is what it will have.
	if _, out := runDoctor(t, map[string]string{}, "--spool-dir", filepath.Join(t.TempDir(), "not", "yet"), "--min-free", "1"); !strings.Contains(out, "MB free") || strings.Contains(out, "spool directory") {
		t.Fatalf("spool dir not created yet: %s", out)
	}
}

// Issue 11 point 8: doctor --token asks the hub whether it knows the
// agent's token (without signing in), and says so either way.
func TestDoctorChecksToken(t *testing.T) {
	srv := startShippedHub(t, nil, false)

	_, out := runDoctor(t, map[string]string{}, "--hub", srv.URL, "--token", "demo-token-ada", "--min-free", "1")
	if !strings.Contains(out, "token: accepted") || strings.Contains(out, "does not accept the token") {
		t.Errorf("a good token:\n%s", out)
	}
	_, out = runDoctor(t, map[string]string{"AGENTDESK_TOKEN": "no-such-token"}, "--hub", srv.URL, "--min-free", "1")
	for _, w := range []string{"PROBLEM: the hub does not accept the token", "fix: use the agent's token from the hub's config"} {
		if !strings.Contains(out, w) {
			t.Errorf("a wrong token (from AGENTDESK_TOKEN): lacks %q:\n%s", w, out)
		}
	}
	if _, out = runDoctor(t, map[string]string{}, "--hub", srv.URL, "--min-free", "1"); !strings.Contains(out, "token: not checked: give --token") {
		t.Errorf("no token:\n%s", out)
	}
}

// TestDoctorChecksTheKey_X_6: doctor says what recordings are encrypted to,
// and flags a hub with no store key when the desktop has none either and
// did not choose plaintext.
func TestDoctorChecksTheKey_X_6(t *testing.T) {
	start := func(mutate func(*hub.Config)) string { return startShippedHub(t, mutate, false).URL }
	const key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	withKey := start(func(c *hub.Config) { c.Store.Recipient = key })
	noKey := start(func(*hub.Config) {})
	for _, c := range []struct {
		name, hub string
		args      []string
		want      string
	}{
		{"the store's key", withKey, nil, "encryption: to the store's key the hub tells (age1ql3z7hjy54pw…)"},
		{"no key anywhere", noKey, nil, "PROBLEM: recordings would NOT be encrypted"},
		{"plaintext chosen", noKey, []string{"--allow-plaintext"}, "encryption: none, chosen"},
		{"the desktop's own key", noKey, []string{"--recipient", key}, "encryption: to the desktop's own key"},
	} {
		_, out := runDoctor(t, map[string]string{}, append([]string{"--hub", c.hub, "--min-free", "1"}, c.args...)...)
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: lacks %q:\n%s", c.name, c.want, out)
		}
	}
}

// TestDoctorTrustsTheHubsCA (issue 10, point 8): against a hub serving TLS
// with a private authority's certificate, the doctor says in words that
// it does not trust it and to give --ca; with --ca (or AGENTDESK_CA) it
// checks the hub, the token and the key as over plain HTTP. A --ca that is
// no certificate is a usage error.
func TestDoctorTrustsTheHubsCA(t *testing.T) {
	srv := startShippedHub(t, nil, true)
	ca := hubtest.CAFile(t, srv)
	args := []string{"--hub", srv.URL, "--token", "demo-token-ada", "--min-free", "1", "--spool-dir", t.TempDir()}

	code, out := runDoctor(t, map[string]string{}, args...)
	for _, w := range []string{"PROBLEM: the hub at " + srv.Listener.Addr().String() + " has a certificate this desktop does not trust", "fix: give the hub's CA certificate with --ca FILE (or AGENTDESK_CA"} {
		if code != 1 || !strings.Contains(out, w) {
			t.Errorf("without --ca: exit %d, lacks %q:\n%s", code, w, out)
		}
	}
	for name, run := range map[string]func() (int, string){
		"--ca":         func() (int, string) { return runDoctor(t, map[string]string{}, append(args, "--ca", ca)...) },
		"AGENTDESK_CA": func() (int, string) { return runDoctor(t, map[string]string{"AGENTDESK_CA": ca}, args...) },
	} {
		_, out := run()
		for _, w := range []string{": healthy", "token: accepted"} {
			if !strings.Contains(out, w) {
				t.Errorf("with %s: lacks %q:\n%s", name, w, out)
			}
		}
		if strings.Contains(out, "does not trust") || strings.Contains(out, "store key:") {
			t.Errorf("with %s: the hub is still not trusted:\n%s", name, out)
		}
	}
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runDoctor(t, map[string]string{}, append(args, "--ca", notPEM)...); code != 2 || !strings.Contains(out, "holds no PEM certificate") {
		t.Errorf("--ca not a certificate: exit %d:\n%s", code, out)
	}
}
