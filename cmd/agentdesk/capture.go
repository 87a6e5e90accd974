package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/control/devices"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/dirsink"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// Capture modes of --capture.
const (
	captureAuto      = "auto"      // real devices when they work, else synthetic with a loud warning
	captureReal      = "real"      // real devices; a failing one is said per chat in words
	captureSynthetic = "synthetic" // a test picture and a tone
	captureOff       = "off"       // no devices: recordings hold the transcript alone
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// captureFlags are the desktop's recording and upload flags.
type captureFlags struct {
	spoolDir  string
	mode      string
	display   string
	mic       string
	fps       int
	recipient string
	plaintext bool // --allow-plaintext
	windows   listFlag
	rate      int64
	uploadDir string
	minFreeMB int64
	service   string      // --capture-service: auto, off or a socket path
	hubTLS    *tls.Config // --ca: how the hub's certificate is trusted (nil: the system's authorities)
}

// defaultSpoolDir is under the user's cache folder.
func defaultSpoolDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "agentdesk", "spool")
}

// addCaptureFlags adds the recording and upload flags. An empty
// --spool-dir or --capture takes the mode's default (resolve).
func addCaptureFlags(fs *flag.FlagSet) *captureFlags {
	cf := &captureFlags{}
	fs.StringVar(&cf.spoolDir, "spool-dir", "", "where recordings are spooled, combined and queued for upload (crash-safe; leftovers\nare combined and uploaded at the next start); default "+defaultSpoolDir()+";\nthe demo and --script use a temporary folder")
	fs.StringVar(&cf.mode, "capture", "", "screen and voice capture: auto (real devices, else synthetic with a loud warning),\nreal, synthetic or off (recordings hold the transcript alone); default auto, with\n--script synthetic")
	fs.StringVar(&cf.display, "display", "", "X display to record (default $DISPLAY)")
	fs.StringVar(&cf.mic, "mic", "", "microphone `name` or part of one (default: the default input)")
	fs.IntVar(&cf.fps, "fps", 5, "screen frames a second (1..30)")
	fs.StringVar(&cf.recipient, "recipient", "", "encrypt recordings with age to this public `key` (age1…); without it, to the store's key the\nhub tells (store.recipient); the demo uses its store's")
	fs.BoolVar(&cf.plaintext, "allow-plaintext", false, "record unencrypted when neither --recipient nor the hub gives a key (else the desktop\nwarns that recordings are NOT encrypted)")
	fs.Var(&cf.windows, "upload-window", "upload only inside this daily window, e.g. 01:00-05:00 (repeatable; default: at once)")
	fs.Int64Var(&cf.rate, "upload-rate", 0, "cap uploads at this many bytes a second (0: no cap)")
	fs.StringVar(&cf.uploadDir, "upload-dir", "", "deliver recordings into this folder instead of the hub")
	fs.Int64Var(&cf.minFreeMB, "min-free", 100, "record no media with less free disk than this many `MB` in the spool folder")
	fs.StringVar(&cf.service, "capture-service", "auto", "auto: capture through the capture-agent service when it runs for this user (its\nconfig then decides devices and uploads), else in this desktop; off: always in this\ndesktop; or the service's socket `path`")
	return cf
}

// resolve fills the defaults: with a script, synthetic capture; with a
// script or in the demo (whose hub, store and age key last one run), a
// temporary spool folder (returned, for the caller to remove; "" when none
// was made).
func (cf *captureFlags) resolve(script, tempSpool bool) (tmp string, err error) {
	if cf.mode == "" {
		cf.mode = captureAuto
		if script {
			cf.mode = captureSynthetic
		}
	}
	if cf.spoolDir == "" {
		cf.spoolDir = defaultSpoolDir()
		if script || tempSpool {
			if tmp, err = os.MkdirTemp("", "agentdesk-spool-"); err != nil {
				return "", err
			}
			cf.spoolDir = tmp
		}
	}
	return tmp, nil
}

// check validates the flags; the error is the user's.
func (cf *captureFlags) check() error {
	switch cf.mode {
	case captureAuto, captureReal, captureSynthetic, captureOff:
	default:
		return fmt.Errorf("--capture %q: want auto, real, synthetic or off", cf.mode)
	}
	if cf.fps < 1 || cf.fps > 30 {
		return fmt.Errorf("--fps %d: want 1..30", cf.fps)
	}
	if cf.rate < 0 {
		return fmt.Errorf("--upload-rate %d: want 0 or more", cf.rate)
	}
	if _, err := uploader.ParseWindows(cf.windows); err != nil {
		return fmt.Errorf("--upload-window: %w", err)
	}
	if cf.recipient != "" {
		if _, err := uploader.Encrypt(discardWriter{}, cf.recipient); err != nil {
			return fmt.Errorf("--recipient: %w", err)
		}
	}
	return nil
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// recorder is the desktop's capture and upload queue, running.
type recorder struct {
	mu      sync.Mutex
	made    []uploader.Manifest // every file queued, for the log and tests
	ctl     *control.Controller // in-process capture (nil with the service)
	needKey bool                // encrypted only if the hub tells a store key
	queue   *uploader.Queue
	svc     captureService // the capture-agent service (nil in-process)
	where   string         // which of the two captures, in words
	warning string
	stop    context.CancelFunc
	done    chan struct{}
}

// startRecorder opens the queue (its sink: the hub with the agent's token,
// or --upload-dir), the capture controller on the chosen devices, combines
// and queues what a crash left (R-V10), and runs the queue until Close.
func (cf *captureFlags) startRecorder(ctx context.Context, hubURL, token string, lg *slog.Logger) (*recorder, error) {
	windows, err := uploader.ParseWindows(cf.windows)
	if err != nil {
		return nil, err
	}
	var sink uploader.Sink
	if cf.uploadDir != "" {
		sink, err = dirsink.New(cf.uploadDir)
	} else {
		sink, err = hubsink.New(hubURL, token, hubsink.Options{TLS: cf.hubTLS})
	}
	if err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) { lg.Info(fmt.Sprintf(format, args...), "part", "recorder") }
	q, err := uploader.Open(filepath.Join(cf.spoolDir, "queue"), uploader.Options{Sink: sink, Windows: windows, RateLimit: cf.rate, Logf: logf})
	if err != nil {
		return nil, err
	}
	dev, warning := cf.devices(lg)
	r := &recorder{queue: q, warning: warning, where: captureInProcess, done: make(chan struct{}),
		needKey: cf.recipient == "" && !cf.plaintext}
	ctl, err := control.New(control.Config{OnFile: r.onFile, SpoolDir: filepath.Join(cf.spoolDir, "capture"), Devices: dev, Queue: q,
		Recipient: cf.recipient, FPS: cf.fps, MinFree: cf.minFreeMB << 20, CalibrateMic: cf.mode != captureSynthetic && warning == "",
		Logf: logf, AwaitWelcome: true}) // it sees the desktop's welcome: a chat left live may go on (issue 11 point 7)
	if err != nil {
		return nil, err
	}
	r.ctl = ctl
	if n, err := ctl.Recover(ctx); err != nil {
		lg.Error("recovering leftover recordings", "err", err, "recovered", n)
	} else if n > 0 {
		lg.Info("recovered leftover recordings", "n", n)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r.ctl, r.stop = ctl, stop
	go func() {
		defer close(r.done)
		if err := q.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			lg.Error("upload queue stopped", "err", err)
		}
	}()
	return r, nil
}

// devices picks the capture devices for the mode; auto falls back to
// synthetic ones with a loud warning (returned, and logged).
func (cf *captureFlags) devices(lg *slog.Logger) (control.Devices, string) {
	// the terminal belongs to the desktop: device notes go to the log
	real := devices.Real{Display: cf.display, Input: cf.mic, Log: slog.NewLogLogger(lg.Handler(), slog.LevelWarn)}
	switch cf.mode {
	case captureOff:
		return nil, ""
	case captureReal:
		return real, ""
	case captureSynthetic:
		lg.Warn("capture is synthetic (--capture synthetic): recordings show a test picture and a tone")
		return devices.Synthetic{}, ""
	}
	if err := devices.Probe(real); err != nil {
		// parts joined by " — ": the desktop shows as many as fit
		w := fmt.Sprintf("SYNTHETIC CAPTURE: test picture and tone recorded — run agentdesk doctor — %v", err)
		lg.Error(w)
		return devices.Synthetic{}, w
	}
	return real, ""
}

func (r *recorder) onFile(m uploader.Manifest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.made = append(r.made, m)
}

// Made returns the manifests of the files queued so far.
func (r *recorder) Made() []uploader.Manifest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uploader.Manifest(nil), r.made...)
}

// hub returns h with every frame shown to the capture controller first.
func (r *recorder) hub(ctx context.Context, h ui.Hub) ui.Hub {
	observe := func(ctx context.Context, e session.Envelope) { r.ctl.Observe(ctx, e) }
	if r.svc != nil {
		observe = r.observeService
	}
	t := &captureTap{Hub: h, observe: observe, events: make(chan session.LinkEvent)}
	go t.relay(ctx)
	return t
}

// options adds the recorder to the desktop's options.
func (r *recorder) options(o ui.Options) ui.Options {
	o.Capture, o.Uploads, o.Warning, o.Frames, o.NeedKey = r.ctl, r.queue, r.warning, r.ctl, r.needKey
	if r.svc != nil {
		// The service records screen, voice and the text desktop's frames.
		o.Capture, o.Uploads, o.Frames, o.NeedKey = r.svc, r.svc, r.svc, false // the service's config decides its key
		o.OnQuit = "the capture-agent service keeps recording; back within its heartbeat timeout it goes on, after it what was recorded is finished and uploaded."
	}
	if r.where != "" {
		o.Banner = strings.TrimPrefix(o.Banner+" · "+r.where, " · ")
	}
	return o
}

// Close stops the captures (their spools stay for the next start), waits
// for files being combined, and stops the queue (its files stay queued).
func (r *recorder) Close() error {
	if r.svc != nil {
		return r.svc.Close()
	}
	err := r.ctl.Close()
	r.stop()
	<-r.done
	return err
}

// captureTap relays a hub's events, each envelope first to the
// controller.
type captureTap struct {
	ui.Hub
	observe func(context.Context, session.Envelope)
	events  chan session.LinkEvent
}

// Events delivers h's events.
func (t *captureTap) Events() <-chan session.LinkEvent { return t.events }

func (t *captureTap) relay(ctx context.Context) {
	defer close(t.events)
	in := t.Hub.Events()
	for {
		select {
		case ev, ok := <-in:
			if !ok {
				return
			}
			if ev.Envelope != nil {
				t.observe(ctx, *ev.Envelope)
			}
			select {
			case t.events <- ev:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// errCaptureFlags marks a bad recording flag (exit 2).
var errCaptureFlags = errors.New("recording flags")

// openRecorder resolves and checks the flags and starts the recorder for
// the agent of token on hubURL; close stops it and removes a temporary
// spool folder.
func (cf *captureFlags) openRecorder(ctx context.Context, script, tempSpool bool, hubURL, token string, lg *slog.Logger) (*recorder, func(), error) {
	tmp, err := cf.resolve(script, tempSpool)
	if err != nil {
		return nil, nil, err
	}
	if err := cf.check(); err != nil {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		return nil, nil, fmt.Errorf("%w: %w", errCaptureFlags, err)
	}
	if !tempSpool { // the demo's hub and key last one run: it captures in-process
		if r := cf.attachService(ctx, hubURL, token, lg); r != nil {
			return r, func() {
				if err := r.Close(); err != nil {
					lg.Error("capture service", "err", err)
				}
				if tmp != "" {
					os.RemoveAll(tmp)
				}
			}, nil
		}
	}
	r, err := cf.startRecorder(ctx, hubURL, token, lg)
	if err != nil {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		return nil, nil, fmt.Errorf("recording: %w", err)
	}
	if tempSpool {
		r.where = "" // the demo always captures in-process: nothing to tell
	}
	return r, func() {
		if err := r.Close(); err != nil {
			lg.Error("recorder", "err", err)
		}
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}, nil
}
