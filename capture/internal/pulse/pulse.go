// Package pulse starts a private PulseAudio daemon for tests and
// benchmarks, so a real PortAudio input stream carries a real signal on a
// machine with no sound card: a 440 Hz sine source (the default source),
// and on demand a pipe source the test feeds with silence and tone bursts
// at chosen instants (the sync test).
//
// # The setup that works (Debian 12, PulseAudio 16.1, PortAudio 19.6)
//
// The daemon runs as
//
//	pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no
//	  --system=false --disallow-exit --log-target=stderr
//	  -L "module-native-protocol-unix auth-anonymous=1 socket=<dir>/native"
//	  -L module-null-sink -L "module-sine-source frequency=440 rate=48000"
//
// with HOME and XDG_RUNTIME_DIR set to <dir> (its own config, cookie and
// runtime files stay there; a daemon.conf there makes 48 kHz the default
// rate). As root it only warns ("not intended to be run as root") and that
// D-Bus is missing; both are harmless. It is ready when `pactl info`
// answers; the sine source is named "sine_input" and made the default
// source with `pactl set-default-source`.
//
// A client (pactl, or PortAudio in this process) finds the daemon by
// PULSE_SERVER=unix:<dir>/native: Start sets it in the test's environment
// (t.Setenv) and Env gives it for child processes.
//
// PortAudio on Linux reaches PulseAudio through its ALSA host API and the
// ALSA pulse plugin of libasound2-plugins. Two ALSA devices appear: "pulse"
// (always defined by /usr/share/alsa/alsa.conf.d/50-pulseaudio.conf) and
// "default", which Debian's 99-pulse.conf hook points at pulse when a
// PulseAudio server is reachable at the moment ALSA first loads its
// configuration in the process. So: start the daemon and set PULSE_SERVER
// before the first PortAudio initialisation of the process, and the
// default input device is PulseAudio's default source. Device "pulse" by
// name works in every order and is the robust choice; no asoundrc and no
// ALSA_CONFIG_PATH are needed.
//
// Timing, measured here: the sine source delivers in 2 s chunks (two
// seconds at once, then nothing for two seconds), so a capture of it gets
// its samples in bursts: never use read timing as a clock. The pipe source
// delivers as it is fed, every 10 ms: use it when arrival time
// matters. Once the daemon is killed, the ALSA pulse plugin may block a
// reader forever, even in Pa_GetStreamReadAvailable (capture/pa watches
// for that).
package pulse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/internal/headbuf"
)

// SineSource is the name of the sine source the daemon starts with.
const SineSource = "sine_input"

// ErrNoPulse is returned by Launch when pulseaudio or pactl is not
// installed.
var ErrNoPulse = errors.New("pulse: pulseaudio/pactl not installed (Debian: apt-get install pulseaudio pulseaudio-utils libasound2-plugins)")

// ErrClosed is returned by a Server or PipeSource used after Close.
var ErrClosed = errors.New("pulse: closed")

// Config says what daemon to start.
type Config struct {
	// Dir holds the socket, the daemon's HOME and runtime files; "" makes
	// a temporary one, removed by Close. Keep it short: a Unix socket path
	// has at most 107 bytes.
	Dir string
	// SineHz is the sine source's frequency; 0 means 440.
	SineHz int
}

// Server is a running private PulseAudio daemon.
type Server struct {
	dir     string
	ownDir  bool
	socket  string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the daemon has exited
	stderr  *headbuf.Buffer
	closeMu sync.Mutex
	closed  bool
	pipes   []*PipeSource
}

// Start launches a daemon for the test, sets PULSE_SERVER for the rest of
// the test (so PortAudio in this process uses it; t.Setenv, hence not in
// parallel tests) and stops it in Cleanup. When PulseAudio is missing the
// test is skipped with a clear message, or fails when the CI environment
// variable is set.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch(context.Background(), Config{})
	if errors.Is(err, ErrNoPulse) && os.Getenv("CI") == "" {
		t.Skipf("%v (set CI to make this a failure)", err)
	}
	if err != nil {
		t.Fatalf("pulse: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	t.Setenv("PULSE_SERVER", s.Address())
	return s
}

// Launch starts a daemon outside of tests (the benchmark command) and
// returns once it answers, with the sine source as the default source.
// The caller must Close it.
func Launch(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.SineHz < 0 || cfg.SineHz >= 24000 {
		return nil, fmt.Errorf("pulse: bad sine frequency %d Hz", cfg.SineHz)
	}
	if cfg.SineHz == 0 {
		cfg.SineHz = 440
	}
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		return nil, ErrNoPulse
	}
	if _, err := exec.LookPath("pactl"); err != nil {
		return nil, ErrNoPulse
	}
	s := &Server{dir: cfg.Dir, done: make(chan struct{}), stderr: headbuf.New(8192)}
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "pulse"); err != nil {
			return nil, fmt.Errorf("pulse: temp dir: %w", err)
		}
		s.ownDir = true
	}
	s.socket = filepath.Join(s.dir, "native")
	if len(s.socket) > 107 {
		s.cleanDir()
		return nil, fmt.Errorf("pulse: socket path %q too long for a Unix socket", s.socket)
	}
	if err := writeDaemonConf(s.dir); err != nil {
		s.cleanDir()
		return nil, err
	}
	s.cmd = exec.Command(bin, "-n", "--daemonize=no", "--exit-idle-time=-1",
		"--use-pid-file=no", "--system=false", "--disallow-exit", "--log-target=stderr",
		"-L", "module-native-protocol-unix auth-anonymous=1 socket="+s.socket,
		"-L", "module-null-sink",
		"-L", fmt.Sprintf("module-sine-source source_name=%s frequency=%d rate=48000", SineSource, cfg.SineHz))
	s.cmd.Env = append(os.Environ(), "HOME="+s.dir, "XDG_RUNTIME_DIR="+s.dir, "PULSE_SERVER=")
	s.cmd.Stderr = s.stderr
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.cleanDir()
		return nil, fmt.Errorf("pulse: start: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	if _, err := s.Pactl(ctx, "set-default-source", SineSource); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// writeDaemonConf makes 48 kHz mono the daemon's default, so the sine and
// pipe sources reach a 48 kHz mono capture without resampling.
func writeDaemonConf(dir string) error {
	conf := filepath.Join(dir, ".config", "pulse")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		return fmt.Errorf("pulse: config dir: %w", err)
	}
	body := "default-sample-rate = 48000\ndefault-sample-channels = 1\navoid-resampling = yes\n"
	if err := os.WriteFile(filepath.Join(conf, "daemon.conf"), []byte(body), 0o600); err != nil {
		return fmt.Errorf("pulse: daemon.conf: %w", err)
	}
	return nil
}

// waitReady polls `pactl info` until the daemon answers, it dies, or 20 s
// pass.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := s.Pactl(ctx, "info"); err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("pulse: daemon exited: %s", strings.TrimSpace(s.stderr.String()))
		case <-ctx.Done():
			return fmt.Errorf("pulse: daemon not answering: %w: %s", ctx.Err(), strings.TrimSpace(s.stderr.String()))
		case <-tick.C:
		}
	}
}

// Address is the daemon's address, the value for PULSE_SERVER.
func (s *Server) Address() string { return "unix:" + s.socket }

// Dir is the daemon's directory (socket, HOME, runtime files).
func (s *Server) Dir() string { return s.dir }

// Env is what a child process needs in its environment to use the
// daemon: PULSE_SERVER.
func (s *Server) Env() []string { return []string{"PULSE_SERVER=" + s.Address()} }

// Pactl runs pactl against the daemon and returns its output.
func (s *Server) Pactl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "pactl", args...)
	cmd.Env = append(os.Environ(), s.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("pulse: pactl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// SetDefaultSource makes the named source the default one (what the
// "default" and "pulse" capture devices record from).
func (s *Server) SetDefaultSource(ctx context.Context, name string) error {
	_, err := s.Pactl(ctx, "set-default-source", name)
	return err
}

// Close stops the pipe sources and kills the daemon, then removes the
// directory it made. Idempotent.
func (s *Server) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	pipes := s.pipes
	s.closeMu.Unlock()
	for _, p := range pipes {
		_ = p.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.cleanDir()
	return nil
}

func (s *Server) cleanDir() {
	if s.ownDir {
		_ = os.RemoveAll(s.dir)
	}
}
