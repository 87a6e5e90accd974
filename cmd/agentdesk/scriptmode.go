package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/ui"
	"github.com/agentdesk/agentdesk/ui/script"
)

// exitCode is the error of an outcome that has already been reported and
// only needs its process exit code: Run returns the code as it is.
type exitCode int

func (c exitCode) Error() string { return "exit code " + strconv.Itoa(int(c)) }

// codeErr turns a script exit code into Run's error: nil for 0.
func codeErr(code int) error {
	if code == exitOK {
		return nil
	}
	return exitCode(code)
}

// Terminal size limits of --size (those of a script's resize).
const (
	minCols, minRows = 10, 3
	maxCols, maxRows = 1000, 500
)

// scriptFlags are the flags of a keystroke-script run, shared by the desk
// and the demo (docs/scripting.md).
type scriptFlags struct {
	fs        *flag.FlagSet
	path      string
	events    string
	snapshots string
	update    bool
	size      string
}

// addScriptFlags defines the script flags on fs.
func addScriptFlags(fs *flag.FlagSet) *scriptFlags {
	sf := &scriptFlags{fs: fs}
	fs.StringVar(&sf.path, "script", "", "run the keystroke script `FILE` without a terminal, then exit 0 (every check passed),\n1 (a check failed) or 2 (the script is wrong); - reads it from standard input (docs/scripting.md)")
	fs.StringVar(&sf.events, "events", "", "with --script: write a JSON-lines log of keys, protocol frames in and out, chat\nstates and checks to `FILE`")
	fs.StringVar(&sf.snapshots, "snapshots", "", "with --script: the `DIR` of snapshot files (default: snapshots/ beside the script)")
	fs.BoolVar(&sf.update, "update", false, "with --script: rewrite compared snapshots that differ, instead of failing")
	fs.StringVar(&sf.size, "size", "100x30", "with --script: the terminal size, `COLSxROWS`")
	return sf
}

// on reports whether a script run was asked for.
func (sf *scriptFlags) on() bool { return sf.path != "" }

// scriptSetup is a loaded script and its events log, ready to run.
type scriptSetup struct {
	script     *script.Script
	events     *script.EventLog // nil: no --events
	cols, rows int
	flags      *scriptFlags
}

// Close closes the events log.
func (s *scriptSetup) Close() error { return s.events.Close() }

// prepare checks the script flags, loads the script and creates the events
// log, all before anything is dialled: a broken script exits 2 without a
// hub. Mistakes are printed on stderr and returned as exitCode 2.
func (sf *scriptFlags) prepare(stdin io.Reader, stdout, stderr io.Writer) (*scriptSetup, error) {
	var stray []string
	sf.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "events", "snapshots", "update", "size":
			stray = append(stray, "--"+f.Name)
		}
	})
	if !sf.on() {
		if len(stray) > 0 {
			fmt.Fprintf(stderr, "%s: %s only go with --script FILE\n", sf.fs.Name(), strings.Join(stray, ", "))
			return nil, errUsage
		}
		return nil, nil
	}
	cols, rows, err := parseSize(sf.size)
	if err != nil {
		fmt.Fprintf(stderr, "%s: --size %v\n", sf.fs.Name(), err)
		return nil, errUsage
	}
	s, err := script.Load(sf.path, stdin)
	if err != nil {
		return nil, codeErr(script.Report(stdout, stderr, nil, err))
	}
	setup := &scriptSetup{script: s, cols: cols, rows: rows, flags: sf}
	if sf.events != "" {
		if setup.events, err = script.CreateEventLog(sf.events, nil); err != nil {
			fmt.Fprintf(stderr, "%s: --events: %v\n", sf.fs.Name(), err)
			return nil, errUsage
		}
	}
	return setup, nil
}

// parseSize parses COLSxROWS.
func parseSize(s string) (cols, rows int, err error) {
	c, r, ok := strings.Cut(strings.ToLower(s), "x")
	cols, err1 := strconv.Atoi(c)
	rows, err2 := strconv.Atoi(r)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q: write columns x rows, like 100x30", s)
	}
	if cols < minCols || cols > maxCols || rows < minRows || rows > maxRows {
		return 0, 0, fmt.Errorf("%q: columns must be %d to %d and rows %d to %d", s, minCols, maxCols, minRows, maxRows)
	}
	return cols, rows, nil
}

// scriptPeers are what demo mode gives a script beyond the desktop: its
// simulated customers, the network cut to the hub and the recording API.
// Outside demo mode all are nil, and the steps that need them exit 2.
type scriptPeers struct {
	customers script.Customers
	hub       script.HubControl
	api       script.RecordingAPI
	rec       *recorder   // the desktop's capture and uploads (nil: none)
	myrec     *myRecSetup // the My Recordings panel's store (nil: none)
	agents    script.Agents
	supers    script.Supervisors
	directory ui.Directory // the picker's (nil: none)
	files     ui.ChatFiles // a chat's files (nil: none)
}

// run runs the script against the real desktop model on hub, with the demo's
// peers, and reports. The hub is tapped so that --events logs its frames,
// chat states and recording states.
func (s *scriptSetup) run(ctx context.Context, hub ui.Hub, peers scriptPeers, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if peers.rec != nil {
		hub = peers.rec.hub(ctx, hub)
	}
	o := ui.Options{Hub: script.TapHub(ctx, hub, s.events), Directory: peers.directory, Files: peers.files, FilesDir: os.TempDir()}
	if peers.rec != nil {
		o = peers.rec.options(o)
	}
	o = peers.myrec.apply(o)
	model := ui.New(o)
	code := script.RunScript(ctx, s.script, model, peers.customers, stdout, stderr, script.Options{
		Events:      s.events,
		Cols:        s.cols,
		Rows:        s.rows,
		SnapshotDir: s.flags.snapshots,
		Update:      s.flags.update,
		Hub:         peers.hub,
		API:         peers.api,
		Agents:      peers.agents,
		Supervisors: peers.supers,
	})
	return codeErr(code)
}

// asExitCode reports the exit code an error carries, if it does.
func asExitCode(err error) (int, bool) {
	var c exitCode
	if errors.As(err, &c) {
		return int(c), true
	}
	return 0, false
}

// tempLog creates a new, empty log file for one run of the demo, so that
// runs side by side (or one after the other) never write into one file.
func tempLog() (string, error) {
	f, err := os.CreateTemp("", "agentdesk-demo-*.log")
	if err != nil {
		return "", fmt.Errorf("cannot create the demo's log file: %w", err)
	}
	path := f.Name()
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("cannot create the demo's log file: %w", err)
	}
	return path, nil
}

// keepLog removes a script run's own log when the run passed, and names it
// on stderr when it did not: the log then helps find out why.
func keepLog(path string, runErr error, stderr io.Writer) {
	if runErr == nil {
		_ = os.Remove(path)
		return
	}
	fmt.Fprintf(stderr, "agentdesk demo: the demo's log is in %s\n", path)
}
