// Package packaging holds the test of the Debian package (issue 15 point
// 2): `make deb` builds it, dpkg installs it on this machine (CI runs as
// root), the installed capture-agent answers, and dpkg removes it.
package packaging

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, name := range tools {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not installed (make deps)", name)
			}
			t.Skipf("%s not installed (make deps)", name)
		}
	}
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root: dpkg -i needs it")
		}
		t.Skip("dpkg -i needs root")
	}
}

func sh(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return err == nil && strings.Contains(string(out), "ok installed")
}

// Issue 15, proof in CI: make deb builds a package that dpkg -i installs
// (binaries, both units, the default config as a conffile, the man
// pages), the installed unit passes systemd-analyze verify, the installed
// capture-agent runs and `capture-agent status` answers, the shipped
// config asks for the store's key, and dpkg -r then --purge remove
// it all.
func TestDebInstallsAndRemoves(t *testing.T) {
	need(t, "make", "dpkg", "dpkg-deb", "systemd-analyze")
	if installed("agentdesk") {
		t.Fatal("an agentdesk package is installed on this machine already: this test would replace it (dpkg -r agentdesk first)")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out := sh(t, nil, "make", "-C", root, "--no-print-directory", "deb")
	lines := strings.Fields(out)
	deb := filepath.Join(root, lines[len(lines)-1])
	if !strings.HasSuffix(deb, ".deb") {
		t.Fatalf("make deb said %q", out)
	}
	t.Cleanup(func() {
		if installed("agentdesk") {
			_ = exec.Command("dpkg", "--purge", "agentdesk").Run()
		}
	})
	sh(t, nil, "dpkg", "-i", deb)
	files := []string{"/usr/bin/capture-agent", "/usr/bin/agentdesk", "/usr/lib/systemd/user/capture-agent.service",
		"/usr/lib/systemd/system/capture-agent@.service", "/etc/agentdesk/capture.yaml",
		"/usr/share/man/man1/capture-agent.1.gz", "/usr/share/man/man5/capture.yaml.5.gz"}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("after dpkg -i: %v", err)
		}
	}
	if conf := sh(t, nil, "dpkg-query", "-W", "-f=${Conffiles}", "agentdesk"); !strings.Contains(conf, "/etc/agentdesk/capture.yaml") {
		t.Errorf("the config is not a conffile: %q", conf)
	}
	rt := t.TempDir()
	if v := sh(t, []string{"XDG_RUNTIME_DIR=" + rt}, "systemd-analyze", "--user", "verify", "--man=no", "/usr/lib/systemd/user/capture-agent.service"); strings.TrimSpace(v) != "" {
		t.Errorf("systemd-analyze verify: %s", v)
	}
	if b, err := exec.Command("/usr/bin/capture-agent", "config", "check", "/etc/agentdesk/capture.yaml").CombinedOutput(); err == nil ||
		!regexp.MustCompile(`/etc/agentdesk/capture.yaml:\d+: upload.recipient: recordings are encrypted by default`).Match(b) {
		t.Errorf("the shipped config should ask for the store's key: %v %s", err, b)
	}

	dir, err := os.MkdirTemp("/tmp", "deb-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "capture.sock")
	cfg := filepath.Join(dir, "capture.yaml")
	text := fmt.Sprintf("capture:\n  mode: \"off\"\nupload:\n  dir: %s/up\n  plaintext: true\nservice:\n  socket: %s\n  log: stderr\n", dir, sock)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	run := exec.Command("/usr/bin/capture-agent", "run", "--config", cfg, "--user-config", "")
	run.Env = append(os.Environ(), "HOME="+dir)
	stdout, _ := run.StdoutPipe()
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = run.Process.Kill(); _ = run.Wait() }()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.Contains(line, "running") {
		t.Fatalf("the installed capture-agent did not start: %q %v", line, err)
	}
	if st := sh(t, nil, "/usr/bin/capture-agent", "status", "--socket", sock); !strings.Contains(st, "capture agent ") || !strings.Contains(st, "Upload queue: 0 waiting") {
		t.Fatalf("status after install:\n%s", st)
	}
	_ = run.Process.Kill()
	_ = run.Wait()

	sh(t, nil, "dpkg", "-r", "agentdesk")
	for _, f := range files[:4] {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("after dpkg -r, %s: %v", f, err)
		}
	}
	sh(t, nil, "dpkg", "--purge", "agentdesk")
	if _, err := os.Stat("/etc/agentdesk/capture.yaml"); !os.IsNotExist(err) {
		t.Errorf("after dpkg --purge the config is still there: %v", err)
	}
	if installed("agentdesk") {
		t.Error("still installed after dpkg --purge")
	}
}
