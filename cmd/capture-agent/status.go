package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture/service"
)

const statusSynopsis = `Usage: capture-agent status [--json] [--socket PATH]

Asks the running service for the recordings in progress, the upload
queue, the last upload and the recent errors; --json prints the same as
JSON (docs/capture-service.md describes it).

Exit codes: 0 the service answered, 3 it is not running (or refused this
user), 2 bad flags.`

// socketFlag is --socket: "" tries where the service puts it.
func (m *Main) socketPaths(flagPath string) []string {
	if flagPath != "" {
		return []string{flagPath}
	}
	c := service.Defaults()
	if l, err := service.Load(service.SystemConfigFile, service.UserConfigFile(m.getenv)); err == nil {
		c = l.Config
	}
	return service.SocketCandidates(c, m.env())
}

// dialService finds the service: the first socket that answers.
func (m *Main) dialService(ctx context.Context, flagPath string) (*service.Client, service.Report, error) {
	var errs []string
	for _, p := range m.socketPaths(flagPath) {
		c := service.NewClient(p)
		rep, err := c.Report(ctx)
		if err == nil {
			return c, rep, nil
		}
		if errors.Is(err, service.ErrNotOwner) {
			return nil, rep, err
		}
		errs = append(errs, err.Error())
	}
	return nil, service.Report{}, fmt.Errorf("the capture agent is not running: %s", strings.Join(errs, "; "))
}

func (m *Main) status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("capture-agent status", statusSynopsis)
	asJSON := fs.Bool("json", false, "print JSON")
	sock := fs.String("socket", "", "the control socket `path` (default: where the service puts it)")
	if _, err := parse(fs, args, 0, stdout, stderr); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, rep, err := m.dialService(ctx, *sock)
	if err != nil {
		fmt.Fprintf(stderr, "capture-agent: %v\n", err)
		return exitCode(exitNotRunning)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	writeStatus(stdout, rep, time.Now())
	return nil
}

// writeStatus prints a report for people.
func writeStatus(w io.Writer, r service.Report, now time.Time) {
	fmt.Fprintf(w, "capture agent %s: running since %s (pid %d, uid %d)\n", r.Version, r.Started.Local().Format("2006-01-02 15:04:05"), r.PID, r.UID)
	fmt.Fprintf(w, "capture: %s; socket %s; spool %s\nuploads to: %s\n", r.Mode, r.Socket, r.SpoolDir, r.UploadTo)
	if r.Warning != "" {
		fmt.Fprintf(w, "WARNING: %s\n", r.Warning)
	}
	fmt.Fprintf(w, "\nDesktops attached: %d\n", len(r.Desktops))
	for _, d := range r.Desktops {
		role := "viewer"
		if d.Primary {
			role = "primary"
		}
		fmt.Fprintf(w, "  pid %d, %s, last heartbeat %s ago\n", d.PID, role, now.Sub(d.Heartbeat).Round(time.Second))
	}
	fmt.Fprintf(w, "\nRecordings in progress: %d\n", len(r.Captures))
	for _, c := range r.Captures {
		what := []string{}
		if c.Screen {
			what = append(what, "screen")
		}
		if c.Voice {
			what = append(what, "voice")
		}
		state := "recording " + strings.Join(what, "+")
		switch {
		case c.Combining:
			state = "making the file"
		case c.Paused:
			state = "paused"
		case len(what) == 0:
			state = "transcript only"
		}
		fmt.Fprintf(w, "  chat %s: %s, %s, %d bytes", c.Chat, state, c.Media.Round(time.Second), c.Bytes)
		if c.Note != "" {
			fmt.Fprintf(w, " (%s)", c.Note)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nUpload queue: %d waiting", r.Queue.Length)
	if !r.Queue.Oldest.IsZero() {
		fmt.Fprintf(w, ", oldest queued %s ago", now.Sub(r.Queue.Oldest).Round(time.Second))
	}
	if r.Queue.Failed > 0 {
		fmt.Fprintf(w, ", %d failed", r.Queue.Failed)
	}
	fmt.Fprintln(w)
	for _, u := range r.Uploads {
		fmt.Fprintf(w, "  %s: %s\n", u.Name, u.StateText)
	}
	if r.Last != nil {
		fmt.Fprintf(w, "Last upload: %s, stored as %s at %s\n", r.Last.Name, r.Last.Stored, r.Last.At.Local().Format("2006-01-02 15:04:05"))
	} else {
		fmt.Fprintln(w, "Last upload: none since the service started")
	}
	fmt.Fprintf(w, "\nRecent errors: %d\n", len(r.Errors))
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  %s %s\n", e.At.Local().Format("15:04:05"), e.Msg)
	}
}

const metricsSynopsis = `Usage: capture-agent metrics [--socket PATH]

Prints the service's metrics in the Prometheus text format (the same as
GET /metrics on the socket, or on service.metrics_listen).`

func (m *Main) metrics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("capture-agent metrics", metricsSynopsis)
	sock := fs.String("socket", "", "the control socket `path` (default: where the service puts it)")
	if _, err := parse(fs, args, 0, stdout, stderr); err != nil {
		return err
	}
	c, _, err := m.dialService(ctx, *sock)
	if err != nil {
		fmt.Fprintf(stderr, "capture-agent: %v\n", err)
		return exitCode(exitNotRunning)
	}
	text, err := c.Metrics(ctx)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}
