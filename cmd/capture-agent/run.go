package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/control/devices"
	"github.com/agentdesk/agentdesk/capture/service"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/dirsink"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

const runSynopsis = `Usage: capture-agent run [--config FILE] [--user-config FILE]

The service: captures screen and microphone while the desktop's chats are
recorded, spools crash-safely, combines, encrypts and uploads, for the user
it runs as. The desktop (agentdesk) attaches through the control socket.
Reads the system config (/etc/agentdesk/capture.yaml) and the user's
override (~/.config/agentdesk/capture.yaml). Logs to the journal under
systemd, else to a rotating file. Stops on SIGTERM / SIGINT; recordings in
progress stay in the spool and are finished at the next start.

Exit codes: 0 stopped, 1 failure, 2 bad flags or config (file:line:key),
4 another capture agent already runs for this user.`

// configFlags are the two config files every config-reading command takes.
type configFlags struct {
	system, user string
}

func (m *Main) addConfigFlags(fs interface {
	StringVar(p *string, name, value, usage string)
}) *configFlags {
	cf := &configFlags{}
	fs.StringVar(&cf.system, "config", service.SystemConfigFile, "the system config `file` IT pushes (\"\": none)")
	fs.StringVar(&cf.user, "user-config", service.UserConfigFile(m.getenv), "the user's override `file` (\"\": none)")
	return cf
}

// load reads the config; a bad one is reported and is errUsage's exit 2.
func (cf *configFlags) load(stderr io.Writer) (*service.Loaded, error) {
	l, err := service.Load(cf.system, cf.user)
	if err != nil {
		fmt.Fprintf(stderr, "capture-agent: config: %v\n", err)
		return nil, errBadConfig
	}
	return l, nil
}

// errBadConfig: the config was wrong and has been reported (exit 2).
var errBadConfig = fmt.Errorf("%w: bad config", errUsage)

func (m *Main) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("capture-agent run", runSynopsis)
	cf := m.addConfigFlags(fs)
	if _, err := parse(fs, args, 0, stdout, stderr); err != nil {
		return err
	}
	l, err := cf.load(stderr)
	if err != nil {
		return err
	}
	hubTLS, err := hubclient.TLSConfig(l.Config.CAFile) // upload.ca_file, checked at load
	if err != nil {
		fmt.Fprintf(stderr, "capture-agent: config: upload.ca_file: %v\n", err)
		return errBadConfig
	}
	env := m.env()
	lg, closeLog, err := m.openServiceLog(l.Config, env, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	deps := service.Deps{
		Devices: func(c service.Config) (control.Devices, string) { return m.serviceDevices(c, lg) },
		HubSink: func(hub, token string) (uploader.Sink, error) {
			return hubsink.New(hub, token, hubsink.Options{TLS: hubTLS})
		},
		DirSink: func(dir string) (uploader.Sink, error) { return dirsink.New(dir) },
	}
	srv, err := service.New(l, env, deps, lg, Version)
	if err != nil {
		lg.Error("cannot start", "err", err)
		if errors.Is(err, service.ErrRunning) {
			fmt.Fprintf(stderr, "capture-agent: %v\n", err)
			return exitCode(exitRunning)
		}
		return err
	}
	err = srv.Serve(ctx, func() {
		fmt.Fprintf(stdout, "capture agent %s running: socket %s\n", Version, service.SocketPath(l.Config, env))
		if m.Started != nil {
			m.Started()
		}
	})
	if errors.Is(err, service.ErrRunning) {
		fmt.Fprintf(stderr, "capture-agent: %v\n", err)
		return exitCode(exitRunning)
	}
	return err
}

// env is the service's view of this process.
func (m *Main) env() service.Env {
	return service.Env{Getenv: m.getenv, UID: os.Getuid()}
}

// openServiceLog opens the log the config asks for: the journal (stderr,
// which systemd connects to it: JOURNAL_STREAM is set) or a rotating
// file, or stderr.
func (m *Main) openServiceLog(c service.Config, env service.Env, stderr io.Writer) (*slog.Logger, func(), error) {
	mode := c.Log
	if mode == "auto" {
		mode = "file"
		if m.getenv("JOURNAL_STREAM") != "" {
			mode = "journal"
		}
	}
	switch mode {
	case "journal":
		// the journal stamps the time itself
		h := slog.NewTextHandler(stderr, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})
		return slog.New(h), func() {}, nil
	case "stderr":
		return slog.New(slog.NewTextHandler(stderr, nil)), func() {}, nil
	}
	path := service.LogFile(c, env)
	f, err := service.OpenRotating(path, c.LogMaxMB<<20, c.LogKeep)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }, nil
}

// serviceDevices picks the devices for the config: on a Wayland session
// the screen is refused with the reason; auto falls back to synthetic
// devices with a loud warning when the real ones do not open.
func (m *Main) serviceDevices(c service.Config, lg *slog.Logger) (control.Devices, string) {
	mons, _ := service.ParseMonitors(c.Monitors) // checked with the config
	real := devices.Real{Display: c.Display, Input: c.Mic, Monitors: mons,
		Log: log.New(slogWriter{lg}, "", 0)}
	if c.Mode == "synthetic" {
		return devices.Synthetic{}, "capture is synthetic (capture.mode: synthetic): recordings show a test picture and a tone"
	}
	if way, why := service.WaylandSession(m.getenv); way && c.Display == "" {
		var d control.Devices = real
		if c.Mode == "auto" {
			if mic, err := real.Mic(nil); err != nil {
				d = devices.Synthetic{}
			} else {
				mic.Close()
			}
		}
		return devices.NoScreen{Devices: d, Reason: why}, why.Error()
	}
	if c.Mode == "real" {
		return real, ""
	}
	if err := devices.Probe(real); err != nil {
		return devices.Synthetic{}, fmt.Sprintf("SYNTHETIC CAPTURE: %v — recordings show a test picture and a tone, not this screen and voice (capture-agent doctor says how to fix it)", err)
	}
	return real, ""
}

// slogWriter turns the device's log lines into warnings.
type slogWriter struct{ lg *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.lg.Warn(string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
