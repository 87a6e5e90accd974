package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/uploader/durable"
)

const installSynopsis = `Usage: capture-agent install [--dry-run] [--system [--user NAME]] [--no-start] [--quiet] [--bin PATH]

Writes the systemd user unit (~/.config/systemd/user/capture-agent.service),
enables it (the default.target.wants link) and, when the user's systemd is
reachable, reloads it and starts the service. Running it again updates the
unit. --dry-run prints the unit and what would be done, and changes nothing.

--system writes the template unit /etc/systemd/system/capture-agent@.service
(as root) that fleet tools enable per user: with --user NAME it is enabled
(and started) for NAME. Non-interactive: it never asks; --quiet prints
only errors.

Exit codes: 0 installed (or would be, with --dry-run), 1 a file could not be
written (e.g. --system without root), 2 bad flags.`

const uninstallSynopsis = `Usage: capture-agent uninstall [--system [--user NAME]] [--quiet]

Stops the service when systemd is reachable, removes the enabling links and
the unit file install wrote, and says each path it removed. Spool, queue and
config are kept (the queue's files are still to upload). --system removes
the template and every capture-agent@*.service link (only NAME's with
--user). Nothing installed is not an error.

Exit codes: 0 done, 1 a file could not be removed, 2 bad flags.`

// installFlags are install's and uninstall's flags.
type installFlags struct {
	dryRun, system, noStart, quiet bool
	user, bin, root                string
}

var userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

func (m *Main) install(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f installFlags
	fs := flagSet("capture-agent install", installSynopsis)
	m.bindInstallFlags(fs, &f, true)
	if _, err := parse(fs, args, 0, stdout, stderr); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return usageErr(fs, stderr, "%v", err)
	}
	if f.bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot tell where this program is (give --bin): %w", err)
		}
		if f.bin, err = filepath.EvalSymlinks(exe); err != nil {
			return err
		}
	}
	p := m.plan(f)
	say := sayer(stdout, f.quiet)
	if f.dryRun {
		fmt.Fprintf(stdout, "# %s\n%s", p.unitPath, p.text)
		if p.linkPath != "" {
			fmt.Fprintf(stdout, "# would link %s -> %s\n", p.linkPath, p.linkTo)
		}
		if p.instance != "" && !f.noStart {
			fmt.Fprintf(stdout, "# would run: %s\n", strings.Join(systemctl(p.user, "start", p.instance), " "))
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p.unitPath), 0o755); err != nil {
		return err
	}
	verb := "wrote"
	if old, err := os.ReadFile(p.unitPath); err == nil {
		verb = "updated"
		if string(old) == p.text {
			verb = "unchanged"
		}
	}
	if err := durable.WriteFile(p.unitPath, []byte(p.text), 0o644); err != nil {
		return err
	}
	say("%s %s", verb, p.unitPath)
	if p.linkPath != "" {
		if err := link(p.linkTo, p.linkPath); err != nil {
			return err
		}
		say("enabled: %s -> %s", p.linkPath, p.linkTo)
	}
	if f.root != "/" && f.system {
		return nil // a packaging root: no systemd to tell
	}
	m.tellSystemd(ctx, p, !f.noStart, say)
	return nil
}

func (m *Main) bindInstallFlags(fs interface {
	BoolVar(*bool, string, bool, string)
	StringVar(*string, string, string, string)
}, f *installFlags, install bool) {
	fs.BoolVar(&f.system, "system", false, "the system-wide template unit (root)")
	fs.StringVar(&f.user, "user", "", "with --system: enable (or remove) the unit of this user `NAME`")
	fs.BoolVar(&f.quiet, "quiet", false, "print only errors")
	fs.StringVar(&f.root, "root", "/", "with --system: work under this `directory` (packaging, tests)")
	if install {
		fs.BoolVar(&f.dryRun, "dry-run", false, "print the unit and what would be done; change nothing")
		fs.BoolVar(&f.noStart, "no-start", false, "enable only; do not start the service now")
		fs.StringVar(&f.bin, "bin", "", "the capture-agent `path` the unit runs (default: this program)")
	}
}

func (f installFlags) check() error {
	switch {
	case f.user != "" && !f.system:
		return errors.New("--user NAME goes with --system (the user unit is always the caller's)")
	case f.user != "" && !userName.MatchString(f.user):
		return fmt.Errorf("--user %q: not a user name", f.user)
	case f.root != "/" && !f.system:
		return errors.New("--root goes with --system")
	}
	return nil
}

func (m *Main) plan(f installFlags) unitPlan {
	if f.system {
		return planSystem(f.root, f.bin, f.user)
	}
	return planUser(m.configHome(), f.bin)
}

// configHome is $XDG_CONFIG_HOME, else ~/.config.
func (m *Main) configHome() string {
	if d := m.getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	return filepath.Join(m.getenv("HOME"), ".config")
}

// link makes (or replaces) the symlink at path pointing at to.
func link(to, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if cur, err := os.Readlink(path); err == nil && cur == to {
		return nil
	}
	_ = os.Remove(path)
	return os.Symlink(to, path)
}

func sayer(w io.Writer, quiet bool) func(string, ...any) {
	return func(format string, a ...any) {
		if !quiet {
			fmt.Fprintf(w, format+"\n", a...)
		}
	}
}

// systemctl is the command line for verb on unit.
func systemctl(user bool, verb ...string) []string {
	args := []string{"systemctl"}
	if user {
		args = append(args, "--user")
	}
	return append(args, verb...)
}

// tellSystemd reloads systemd and starts (or only reloads) the unit; a
// systemd that cannot be reached (no user session bus, no PID 1 systemd)
// is said, not an error: the link starts it at the next login or boot.
func (m *Main) tellSystemd(ctx context.Context, p unitPlan, start bool, say func(string, ...any)) {
	steps := [][]string{systemctl(p.user, "daemon-reload")}
	if start && p.instance != "" {
		steps = append(steps, systemctl(p.user, "restart", p.instance))
	}
	for _, s := range steps {
		if err := runQuiet(ctx, s); err != nil {
			when := "at the next login"
			if !p.user {
				when = "at the next boot"
			}
			say("systemd not reachable (%s: %v): enabled, it starts %s", strings.Join(s, " "), err, when)
			return
		}
	}
	if start && p.instance != "" {
		say("started %s", p.instance)
	}
}

// runQuiet runs a command, its output folded into the error.
func runQuiet(ctx context.Context, args []string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		if msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

func (m *Main) uninstall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f installFlags
	fs := flagSet("capture-agent uninstall", uninstallSynopsis)
	m.bindInstallFlags(fs, &f, false)
	if _, err := parse(fs, args, 0, stdout, stderr); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return usageErr(fs, stderr, "%v", err)
	}
	say := sayer(stdout, f.quiet)
	p := m.plan(f)
	links := []string{p.linkPath}
	if f.system && f.user == "" {
		links, _ = filepath.Glob(filepath.Join(filepath.Dir(p.unitPath), "*.wants", "capture-agent@*.service"))
	}
	if f.root == "/" || !f.system {
		for _, l := range links {
			if l != "" {
				_ = runQuiet(ctx, systemctl(p.user, "stop", filepath.Base(l))) // best effort
			}
		}
	}
	removed := 0
	var errs []error
	rm := func(path string) {
		if path == "" {
			return
		}
		if err := os.Remove(path); err == nil {
			say("removed %s", path)
			removed++
		} else if !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, l := range links {
		rm(l)
	}
	if !f.system || f.user == "" { // the template stays while other users' links may use it
		rm(p.unitPath)
	}
	if removed == 0 && len(errs) == 0 {
		say("nothing to remove: the capture agent's unit was not installed")
	}
	if removed > 0 && (f.root == "/" || !f.system) {
		_ = runQuiet(ctx, systemctl(p.user, "daemon-reload"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if removed > 0 {
		say("kept: the spool, the upload queue and the config (remove them by hand when the queue is empty)")
	}
	return nil
}
