package servicetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
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
	good := writeConfig(t, dir, fmt.Sprintf("capture: {mode: \"off\"}\nupload: {dir: %s/up, plaintext: true}\nservice: {socket: %s, log: stderr}\n", dir, sock))
	startAgent(t, good, sock, "HOME="+dir)
	code, _, errs = runBin(t, []string{"HOME=" + dir}, ca, "run", "--config", good, "--user-config", "")
	if code != 4 || !strings.Contains(errs, "already running") {
		t.Fatalf("a second service: exit %d %q", code, errs)
	}
	if code, out, _ := runBin(t, nil, ca, "--version"); code != 0 || !strings.HasPrefix(out, "capture-agent ") {
		t.Fatalf("--version: %d %q", code, out)
	}
}
