package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/control/devices"
	"github.com/agentdesk/agentdesk/capture/service"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/x11"
)

const doctorSynopsis = `Usage: capture-agent doctor [--socket PATH] [--config FILE] [--user-config FILE]

For IT: checks what agentdesk doctor checks (the displays and monitors, the
microphone, the free disk in the spool folder) with the service's config,
and the service's own: the config files, the session type (Wayland),
the unit, the service answering on its socket, its upload queue and its
recent errors. Ends with a verdict and the fix for each problem.

Exit codes: 0 all good, 1 problems found, 2 bad flags or a bad config.`

// checkup collects findings as it prints them.
type checkup struct {
	w        io.Writer
	problems [][2]string
}

func (c *checkup) say(format string, a ...any) { fmt.Fprintf(c.w, format+"\n", a...) }

func (c *checkup) problem(what, fix string) {
	c.problems = append(c.problems, [2]string{what, fix})
	c.say("  PROBLEM: %s", what)
}

func (m *Main) doctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("capture-agent doctor", doctorSynopsis)
	cf := m.addConfigFlags(fs)
	sock := fs.String("socket", "", "the control socket `path` (default: where the service puts it)")
	if _, err := parse(fs, args, 0, stdout, stderr); err != nil {
		return err
	}
	c := &checkup{w: stdout}
	c.say("Config")
	l, err := service.Load(cf.system, cf.user)
	if err != nil {
		c.problem(err.Error(), "fix the file at that line (capture-agent config check FILE), see man capture.yaml")
		l = &service.Loaded{Config: service.Defaults()}
	} else {
		for _, n := range l.Notes {
			c.say("  %s", n)
		}
	}
	m.checkScreen(ctx, c, l.Config)
	m.checkMic(c, l.Config)
	m.checkSpool(c, l.Config)
	m.checkService(ctx, c, *sock)
	c.say("")
	if len(c.problems) == 0 {
		c.say("Verdict: all good: the capture agent can record and upload.")
		return nil
	}
	c.say("Verdict: %d problem(s) to fix:", len(c.problems))
	for i, p := range c.problems {
		c.say("  %d. %s\n     fix: %s", i+1, p[0], p[1])
	}
	return exitCode(exitFailure)
}

func (m *Main) checkScreen(ctx context.Context, c *checkup, cfg service.Config) {
	c.say("Screen")
	if way, why := service.WaylandSession(m.getenv); way && cfg.Display == "" {
		c.problem(why.Error(), "log in to an X11 (Xorg) session to record the screen; the voice is recorded either way")
		return
	}
	display := cfg.Display
	if display == "" {
		display = m.getenv("DISPLAY")
	}
	if display == "" {
		c.problem("no display: DISPLAY is not set and capture.display is empty",
			"set capture.display (e.g. \":0\") in /etc/agentdesk/capture.yaml, or import DISPLAY into the user's systemd (systemctl --user import-environment DISPLAY)")
		return
	}
	mons, err := x11.Displays(display)
	if err != nil {
		c.problem(fmt.Sprintf("display %s cannot be opened: %v", display, err), "check the X session runs and this user may use it (xhost +SI:localuser:$USER)")
		return
	}
	for _, mon := range mons {
		b := mon.Bounds
		c.say("  %s monitor %d: %dx%d at +%d+%d", display, mon.Index, b.Dx(), b.Dy(), b.Min.X, b.Min.Y)
	}
	want, _ := service.ParseMonitors(cfg.Monitors)
	c.say("  recording: capture.monitors = %s", cfg.Monitors)
	scr, err := devices.Real{Display: display, Monitors: want, Log: log.New(io.Discard, "", 0)}.Screen(cfg.FPS)
	if err != nil {
		c.problem(fmt.Sprintf("the screen cannot be captured: %v", err), "check capture.monitors names monitors listed above")
		return
	}
	defer scr.Close()
	w, h := scr.Size()
	t0 := time.Now()
	if _, err := scr.Grab(capture.NewFrame(w, h)); err != nil {
		c.problem(fmt.Sprintf("test grab failed: %v", err), "check the X server allows screen capture for this user")
		return
	}
	c.say("  test grab of %dx%d: %.1f ms", w, h, float64(time.Since(t0).Microseconds())/1000)
}

func (m *Main) checkMic(c *checkup, cfg service.Config) {
	c.say("Microphone")
	mic, err := devices.Real{Input: cfg.Mic}.Mic(nil)
	if err != nil {
		c.problem(fmt.Sprintf("the microphone cannot be opened: %v", err),
			"start PulseAudio / PipeWire for this user, or name an input in capture.mic (agentdesk doctor lists them)")
		return
	}
	defer mic.Close()
	c.say("  opened %s at %d Hz", nameOr(cfg.Mic, "the default input"), mic.SampleRate())
}

func (m *Main) checkSpool(c *checkup, cfg service.Config) {
	c.say("Disk")
	dir := service.SpoolDir(cfg, m.env())
	base := dir
	for {
		if _, err := os.Stat(base); err == nil || base == filepath.Dir(base) {
			break
		}
		base = filepath.Dir(base)
	}
	free, err := spool.FreeSpace(base)
	if err != nil {
		c.problem(fmt.Sprintf("spool folder %s: %v", dir, err), "set spool_dir to a folder the user can write")
		return
	}
	c.say("  %s: %d MB free (the floor is %d MB)", dir, free>>20, cfg.MinFreeMB)
	if free < cfg.MinFreeMB<<20 {
		c.problem(fmt.Sprintf("only %d MB free in %s: recording would refuse to start", free>>20, dir), "free disk space there, or set spool_dir elsewhere")
	}
}

func (m *Main) checkService(ctx context.Context, c *checkup, sock string) {
	c.say("Service")
	if _, err := os.Stat(planUser(m.configHome(), "").unitPath); err == nil {
		c.say("  user unit installed: %s", planUser(m.configHome(), "").unitPath)
	} else if _, err := os.Stat(planSystem("/", "", "").unitPath); err == nil {
		c.say("  system template installed: %s", planSystem("/", "", "").unitPath)
	} else {
		c.say("  no unit installed (capture-agent install)")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, rep, err := m.dialService(ctx, sock)
	switch {
	case errors.Is(err, service.ErrNotOwner):
		c.problem("the service's socket belongs to another user", "run the doctor as the desktop's user")
		return
	case err != nil:
		c.problem(err.Error(), "start it: systemctl --user start capture-agent (install it first with capture-agent install); the desktop records in-process meanwhile")
		return
	}
	c.say("  running: version %s, pid %d, since %s, capture %s, uploads to %s", rep.Version, rep.PID, rep.Started.Local().Format("15:04:05"), rep.Mode, rep.UploadTo)
	c.say("  desktops attached %d, recordings in progress %d, upload queue %d", len(rep.Desktops), len(rep.Captures), rep.Queue.Length)
	if rep.Warning != "" {
		c.problem("the service says: "+rep.Warning, "see the Screen and Microphone checks above")
	}
	if !rep.Queue.Oldest.IsZero() && time.Since(rep.Queue.Oldest) > 24*time.Hour {
		c.problem(fmt.Sprintf("the oldest upload has waited %s", time.Since(rep.Queue.Oldest).Round(time.Minute)), "check the hub is reachable and the upload windows (capture-agent status)")
	}
	if rep.Queue.Failed > 0 {
		c.problem(fmt.Sprintf("%d upload(s) failed for good", rep.Queue.Failed), "see capture-agent status for the reasons")
	}
	for _, e := range rep.Errors {
		c.say("  recent error %s: %s", e.At.Local().Format("15:04:05"), e.Msg)
	}
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
