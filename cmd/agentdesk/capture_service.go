package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/service"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// captureService is the capture-agent service as the desktop uses it
// (capture/service.Session): it takes the hub's frames, tells each chat's
// capture and the upload queue, and is let go at Close.
type captureService interface {
	Observe(ctx context.Context, e session.Envelope) error
	Status(chat string) control.Status
	Snapshot() []uploader.ItemStatus
	Changes() <-chan struct{}
	Frame(content string, cols, rows int)
	Close() error
}

// Which capture runs, as the title bar and the log say it.
const (
	captureInProcess = "capture: in this desktop (no capture-agent service)"
	captureByService = "capture: capture-agent service"
)

// serviceSockets are the sockets --capture-service asks to try.
func (cf *captureFlags) serviceSockets() []string {
	switch cf.service {
	case "off":
		return nil
	case "auto", "":
		env := service.Env{Getenv: os.Getenv, UID: os.Getuid()}
		return service.SocketCandidates(service.Defaults(), env)
	}
	return []string{cf.service}
}

// attachService attaches to the capture-agent service when one answers
// for this user, giving it the hub and the token for its uploads; nil
// when none does (the desktop then captures in-process).
func (cf *captureFlags) attachService(ctx context.Context, hubURL, token string, lg *slog.Logger) *recorder {
	logf := func(format string, args ...any) { lg.Warn(fmt.Sprintf(format, args...), "part", "capture-service") }
	for _, sock := range cf.serviceSockets() {
		if _, err := os.Stat(sock); err != nil {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		s, err := service.NewClient(sock).Attach(actx, service.AttachRequest{PID: os.Getpid(), Hub: hubURL, Token: token}, logf)
		cancel()
		if err != nil {
			lg.Warn("capture-agent service not usable: capturing in this desktop", "socket", sock, "err", err)
			continue
		}
		info := s.Info()
		lg.Info("capturing through the capture-agent service", "socket", sock, "pid", info.PID, "version", info.Version, "primary", info.Primary)
		where := fmt.Sprintf("%s (pid %d)", captureByService, info.PID)
		if !info.Primary {
			where += ", following another desktop"
		}
		return &recorder{svc: s, where: where, warning: info.Warning}
	}
	lg.Info(captureInProcess)
	return nil
}

// observeService hands a frame to the service. A failure shows in the
// chat's capture note (the session finds the service not answering).
func (r *recorder) observeService(ctx context.Context, e session.Envelope) {
	_ = r.svc.Observe(ctx, e)
}

// checkCaptureService says which capture the desktop would use: the
// capture-agent service (its version, devices mode, queue) or in-process.
func (d *doctor) checkCaptureService(ctx context.Context) {
	d.say("Capture")
	env := service.Env{Getenv: os.Getenv, UID: os.Getuid()}
	for _, sock := range service.SocketCandidates(service.Defaults(), env) {
		if _, err := os.Stat(sock); err != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		rep, err := service.NewClient(sock).Report(cctx)
		cancel()
		if err != nil {
			d.problem(fmt.Sprintf("the capture-agent service at %s does not answer: %v", sock, err),
				"restart it (systemctl --user restart capture-agent) or see capture-agent doctor; the desktop captures in-process meanwhile")
			return
		}
		d.say("  by the capture-agent service %s (pid %d) at %s: capture %s, %d upload(s) waiting, uploads to %s",
			rep.Version, rep.PID, sock, rep.Mode, rep.Queue.Length, rep.UploadTo)
		if rep.Warning != "" {
			d.say("  the service says: %s", rep.Warning)
		}
		return
	}
	d.say("  in this desktop: no capture-agent service runs for this user (capture-agent install sets one up)")
}
