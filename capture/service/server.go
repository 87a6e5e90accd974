package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/uploader"
)

// Deps are the adapters cmd gives the server: devices and sinks live in
// subpackages the service does not import.
type Deps struct {
	// Devices picks the capture devices for the config; warning says in
	// words what is not real (synthetic devices, a refused screen).
	Devices func(c Config) (d control.Devices, warning string)
	// HubSink makes the sink that uploads to a hub with an agent token.
	HubSink func(hub, token string) (uploader.Sink, error)
	// DirSink makes the sink that delivers into a folder.
	DirSink func(dir string) (uploader.Sink, error)
}

// Server is the running service: the capture controller, the upload
// queue, the control socket and the heartbeat watchdog.
type Server struct {
	cfg     *Loaded
	env     Env
	log     *slog.Logger
	version string
	started time.Time
	socket  string
	spool   string

	ctl   *control.Controller
	queue *uploader.Queue
	hub   *hubSink // nil when uploads go to a folder or a fixed hub
	sinkW string   // where files go, in words (no token)
	mode  string
	warn  string
	m     *metrics

	mu       sync.Mutex
	desktops map[string]*desktop
	order    []string // sessions in attach order: the first live one is primary
	errs     []ErrorEntry
	last     *UploadItem
}

// desktop is an attached desktop's session.
type desktop struct {
	Desktop
	gone bool // detached cleanly: kept until its heartbeat times out, unless another desktop is there
}

// MarkDesktopQuit marks recordings finished because their desktop quit
// mid-recording and none came back within the heartbeat timeout.
const MarkDesktopQuit = "desktop quit"

// maxErrors is how many recent errors status keeps.
const maxErrors = 20

// New opens the spool and the queue and makes the controller; Serve runs
// it. The logger must not be given secrets: the server logs none.
func New(cfg *Loaded, env Env, deps Deps, log *slog.Logger, version string) (*Server, error) {
	s := &Server{cfg: cfg, env: env, log: log, version: version, started: time.Now().UTC(),
		socket: SocketPath(cfg.Config, env), spool: SpoolDir(cfg.Config, env), desktops: map[string]*desktop{}, m: newMetrics()}
	if err := os.MkdirAll(s.spool, 0o700); err != nil {
		return nil, fmt.Errorf("spool folder: %w", err)
	}
	sink, err := s.sink(deps)
	if err != nil {
		return nil, err
	}
	windows, _ := uploader.ParseWindows(cfg.Windows) // checked with the config
	q, err := uploader.Open(filepath.Join(s.spool, "queue"), uploader.Options{Sink: sink, Windows: windows,
		RateLimit: cfg.Rate, MaxBackoff: time.Minute, Logf: s.logf})
	if err != nil {
		if errors.Is(err, uploader.ErrInUse) {
			return nil, fmt.Errorf("%w (%v)", ErrRunning, err)
		}
		return nil, err
	}
	var dev control.Devices
	s.mode = cfg.Mode
	if cfg.Mode != "off" {
		dev, s.warn = deps.Devices(cfg.Config)
	}
	ctl, err := control.New(control.Config{SpoolDir: filepath.Join(s.spool, "capture"), Devices: dev, Queue: q,
		Recipient: cfg.Recipient, FPS: cfg.FPS, MinFree: cfg.MinFreeMB << 20,
		CalibrateMic: cfg.Mode != "synthetic" && s.warn == "", Logf: s.logf, OnFile: s.onFile})
	if err != nil {
		q.Close()
		return nil, err
	}
	s.ctl, s.queue = ctl, q
	return s, nil
}

// sink builds the upload sink the config asks for.
func (s *Server) sink(deps Deps) (uploader.Sink, error) {
	c := s.cfg
	switch {
	case c.UploadDir != "":
		s.sinkW = "folder " + c.UploadDir
		return deps.DirSink(c.UploadDir)
	case c.Hub != "" && c.TokenFile != "":
		tok, err := readToken(c.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("upload.token_file: %w", err)
		}
		s.sinkW = "hub " + c.Hub
		return deps.HubSink(c.Hub, tok)
	}
	s.hub = newHubSink(filepath.Join(StateDir(s.env), "capture-hub.json"), deps.HubSink)
	return s.hub, nil
}

func (s *Server) logf(format string, args ...any) {
	s.log.Info(fmt.Sprintf(format, args...))
}

// fail records an error for status and logs it.
func (s *Server) fail(msg string) {
	s.log.Error(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, ErrorEntry{At: time.Now().UTC(), Msg: msg})
	if len(s.errs) > maxErrors {
		s.errs = s.errs[len(s.errs)-maxErrors:]
	}
	s.m.add("errors", 1)
}

func (s *Server) onFile(m uploader.Manifest) {
	s.m.add("recordings", 1)
	s.m.add("recording_bytes", uint64(m.Size))
	if m.Metadata[control.MarkKey] != "" {
		s.m.add("recordings_marked", 1)
	}
}

// Serve recovers what a crash left, serves the socket (and the loopback
// metrics port when configured), runs the queue and the watchdog until
// ctx ends, then stops the captures (their spools stay for the next
// start) and the queue (its files stay queued). ready, when set, is
// called once the socket answers.
func (s *Server) Serve(ctx context.Context, ready func()) error {
	defer s.queue.Close()
	if n, err := s.ctl.Recover(ctx); err != nil {
		s.fail(fmt.Sprintf("recovering leftover recordings: %v", err))
	} else if n > 0 {
		s.logf("recovered %d leftover recording(s) and queued them", n)
	}
	l, err := Listen(s.socket, s.env.UID, func(peer int) {
		s.m.add("refused_connections", 1)
		s.log.Warn("control socket: refused a connection of another user", "peer_uid", peer)
	})
	if err != nil {
		s.ctl.Close()
		return err
	}
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	serve := func(l net.Listener, what string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.fail(fmt.Sprintf("%s: %v", what, err))
			}
		}()
	}
	serve(l, "control socket")
	if s.cfg.MetricsListen != "" {
		ml, err := net.Listen("tcp", s.cfg.MetricsListen)
		if err != nil {
			srv.Close()
			s.ctl.Close()
			return fmt.Errorf("service.metrics_listen %s: %w", s.cfg.MetricsListen, err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET "+PathMetrics, s.metricsHandler)
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		wg.Add(1)
		go func() { defer wg.Done(); _ = msrv.Serve(ml) }()
		defer msrv.Close()
	}
	qctx, stopQ := context.WithCancel(context.WithoutCancel(ctx))
	qdone := make(chan struct{})
	go func() {
		defer close(qdone)
		if err := s.queue.Run(qctx); err != nil && !errors.Is(err, context.Canceled) {
			s.fail(fmt.Sprintf("upload queue stopped: %v", err))
		}
	}()
	s.log.Info("capture agent running", "version", s.version, "socket", s.socket, "spool", s.spool, "upload_to", s.uploadTo(), "mode", s.mode)
	if s.warn != "" {
		s.log.Warn(s.warn)
	}
	if ready != nil {
		ready()
	}
	s.watch(ctx)
	srv.Close()
	err = s.ctl.Close()
	stopQ()
	<-qdone
	wg.Wait()
	s.log.Info("capture agent stopped")
	return err
}

// watch ends the sessions of desktops whose heartbeat is overdue; when the
// last one is gone, the captures in progress are finished with the mark
// "desktop lost" (issue 15 point 4). It returns when ctx ends.
func (s *Server) watch(ctx context.Context) {
	every := min(s.cfg.HeartbeatTimeout/4, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		s.mu.Lock()
		lost, quit := 0, 0
		for _, id := range append([]string(nil), s.order...) {
			if d := s.desktops[id]; now.Sub(d.Heartbeat) > s.cfg.HeartbeatTimeout {
				if d.gone {
					quit++
				} else {
					lost++
				}
				s.dropLocked(id)
			}
		}
		none := len(s.desktops) == 0
		s.mu.Unlock()
		if lost > 0 {
			s.log.Warn("desktop lost: no heartbeat", "desktops_lost", lost, "timeout", s.cfg.HeartbeatTimeout)
			s.m.add("desktops_lost", uint64(lost))
		}
		if lost+quit > 0 && none {
			mark := control.MarkDesktopLost
			if lost == 0 {
				mark = MarkDesktopQuit
			}
			if n := s.ctl.Abandon(ctx, mark); n > 0 {
				s.log.Warn("finishing recordings no desktop follows any more", "recordings", n, "mark", mark)
			}
		}
	}
}

// dropLocked ends a desktop's session; the next one becomes primary.
func (s *Server) dropLocked(id string) {
	delete(s.desktops, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	if len(s.order) > 0 {
		if d := s.desktops[s.order[0]]; !d.Primary {
			d.Primary = true
			s.log.Info("desktop promoted to primary", "pid", d.PID)
		}
	}
}
