package servicetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runBin runs a program with env added and returns its exit code and
// output.
func runBin(t *testing.T, env []string, name string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return code, o.String(), e.String()
}

// verify runs systemd-analyze verify on a unit file; it must pass with
// nothing to say (an unknown key is only a warning there).
func verify(t *testing.T, env []string, args ...string) {
	t.Helper()
	needTool(t, "systemd-analyze")
	code, out, errs := runBin(t, env, "systemd-analyze", append([]string{"verify", "--man=no"}, args...)...)
	if code != 0 || strings.TrimSpace(out+errs) != "" {
		t.Fatalf("systemd-analyze verify %v: exit %d\n%s%s", args, code, out, errs)
	}
}

// Issue 15 point 1, proof in CI: install and uninstall into a scratch
// HOME; the unit passes systemd-analyze verify; --dry-run changes nothing;
// uninstall says what it removed; there is no systemd here, which install
// says, and it still exits 0 (a silent fleet install).
func TestInstallUninstallUserUnit(t *testing.T) {
	ca := bin(t, "capture-agent")
	home := t.TempDir()
	rt := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=", "XDG_RUNTIME_DIR=" + rt, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(rt, "nobus")}
	unit := filepath.Join(home, ".config", "systemd", "user", "capture-agent.service")
	wants := filepath.Join(home, ".config", "systemd", "user", "default.target.wants", "capture-agent.service")

	code, dry, errs := runBin(t, env, ca, "install", "--dry-run")
	if code != 0 || !strings.Contains(dry, "ExecStart="+ca+" run") || !strings.Contains(dry, "# would link "+wants) {
		t.Fatalf("install --dry-run: exit %d\n%s%s", code, dry, errs)
	}
	if _, err := os.Stat(filepath.Join(home, ".config")); !os.IsNotExist(err) {
		t.Fatalf("--dry-run wrote something: %v", err)
	}

	code, out, errs := runBin(t, env, ca, "install")
	if code != 0 || !strings.Contains(out, "wrote "+unit) || !strings.Contains(out, "enabled: "+wants) ||
		!strings.Contains(out, "systemd not reachable") {
		t.Fatalf("install: exit %d\n%s%s", code, out, errs)
	}
	text, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dry, string(text)) {
		t.Fatalf("--dry-run printed another unit than install wrote:\n%s\n---\n%s", dry, text)
	}
	if to, err := os.Readlink(wants); err != nil || to != unit {
		t.Fatalf("enabling link: %q %v", to, err)
	}
	verify(t, env, "--user", unit)

	code, out, _ = runBin(t, env, ca, "install", "--quiet")
	if code != 0 || out != "" {
		t.Fatalf("install --quiet again: exit %d, said %q", code, out)
	}

	code, out, errs = runBin(t, env, ca, "uninstall")
	if code != 0 || !strings.Contains(out, "removed "+wants) || !strings.Contains(out, "removed "+unit) {
		t.Fatalf("uninstall: exit %d\n%s%s", code, out, errs)
	}
	for _, p := range []string{unit, wants} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Fatalf("%s left after uninstall: %v", p, err)
		}
	}
	code, out, _ = runBin(t, env, ca, "uninstall")
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Fatalf("uninstall again: exit %d %q", code, out)
	}
}

// Issue 15 point 1: --system writes the template unit fleet tools use,
// enabled per user; it passes systemd-analyze verify as a template and as
// an instance; uninstall --system removes it and its links. Bad flags are
// exit 2.
func TestInstallSystemTemplate(t *testing.T) {
	ca := bin(t, "capture-agent")
	root := t.TempDir()
	code, out, errs := runBin(t, nil, ca, "install", "--system", "--root", root, "--user", "alice")
	tmpl := filepath.Join(root, "etc", "systemd", "system", "capture-agent@.service")
	link := filepath.Join(root, "etc", "systemd", "system", "graphical.target.wants", "capture-agent@alice.service")
	if code != 0 || !strings.Contains(out, "wrote "+tmpl) || !strings.Contains(out, "enabled: "+link) {
		t.Fatalf("install --system: exit %d\n%s%s", code, out, errs)
	}
	verify(t, nil, tmpl)
	inst := filepath.Join(t.TempDir(), "capture-agent@alice.service")
	b, _ := os.ReadFile(tmpl)
	if err := os.WriteFile(inst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	verify(t, nil, inst)
	if !strings.Contains(string(b), "User=%i") || !strings.Contains(string(b), "CAPTURE_AGENT_SOCKET=/run/agentdesk/%i/capture.sock") {
		t.Fatalf("template:\n%s", b)
	}
	code, out, _ = runBin(t, nil, ca, "uninstall", "--system", "--root", root)
	if code != 0 || !strings.Contains(out, "removed "+link) || !strings.Contains(out, "removed "+tmpl) {
		t.Fatalf("uninstall --system: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"install", "--user", "bob"}, {"install", "--system", "--user", "Bad Name"}, {"install", "--bogus"}} {
		if code, _, errs := runBin(t, nil, ca, args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d (want 2), stderr %q", args, code, errs)
		}
	}
}
