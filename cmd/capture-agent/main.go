// Command capture-agent is the capture agent: the service IT installs on
// each desktop (run, install, uninstall, status, config, doctor) and the
// tools around a recording (record, recover).
//
// Exit codes (also in capture-agent(1)): 0 done, 1 failure, 2 bad usage or
// bad config (file:line:key), 3 the service is not running or refused
// this user, 4 another service already runs for this user.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitNotRunning = 3
	exitRunning    = 4
)

// Version is the capture agent's version (capture-agent --version).
const Version = "0.2.0"

// exitCode is an error that is only an exit code, already reported.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// errUsage marks an error in the command line, already reported.
var errUsage = errors.New("usage")

// Main is the capture-agent program. Its zero value uses the real
// devices; tests set its fields.
type Main struct {
	// Devices opens screens, mics and encoders (nil: the real ones).
	Devices Devices
	// Getenv reads the environment (nil: os.Getenv).
	Getenv func(string) string
	// Started, when set, is called once the recording runs (tests).
	Started func()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&Main{}).Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `capture-agent — records the agent's screen and microphone for the contact centre

Usage: capture-agent <command> [flags]

The service (IT installs it; the desktop, agentdesk, attaches to it):
  capture-agent run [--config FILE] [--user-config FILE]
      Run the service for this user (what the systemd unit starts).
  capture-agent install [--dry-run] [--system] [--user NAME] [--no-start] [--quiet]
      Write and enable the systemd user unit (--system: the template unit
      capture-agent@.service fleet tools use). Silent with --quiet.
  capture-agent uninstall [--system] [--user NAME] [--quiet]
      Remove what install made, and say what was removed.
  capture-agent status [--json] [--socket PATH]
      Recordings in progress, the upload queue, the last upload, recent errors.
  capture-agent config check FILE
  capture-agent config show [--config FILE] [--user-config FILE]
      Validate a config file; print the merged config and where each value came from.
  capture-agent doctor [--socket PATH] [--config FILE] [--user-config FILE]
      Check displays, microphone, disk, config and the service; say how to fix.
  capture-agent metrics [--socket PATH]
      Print the service's metrics (Prometheus text format).

Tools:
  capture-agent record --out FILE.spool [--seconds N] [--fps 5] [--display :N] [--mic NAME] [--synthetic] [--force]
      Record until N seconds have passed, or SIGTERM / SIGINT. The spool
      survives kill -9: everything up to about two seconds before is kept.
      An existing --out is refused unless --force.
  capture-agent recover FILE.spool --webm OUT.webm [--force]
      Read a spool (even a torn one) and write the WebM file. An existing
      --webm is refused unless --force.
  capture-agent --version

Exit codes: 0 done, 1 failure, 2 bad usage or bad config (file:line:key),
3 the service is not running (or refused this user), 4 another service
already runs for this user.

Run 'capture-agent <command> --help' for a command's flags; man capture-agent.
`

// Run runs the program with args (without its name) and returns the exit
// code.
func (m *Main) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"record": m.record, "recover": m.recover, "run": m.run, "install": m.install, "uninstall": m.uninstall,
		"status": m.status, "config": m.config, "doctor": m.doctor, "metrics": m.metrics,
	}
	var err error
	switch cmd := cmds[args[0]]; {
	case cmd != nil:
		err = cmd(ctx, args[1:], stdout, stderr)
	case args[0] == "help" || args[0] == "--help" || args[0] == "-h" || args[0] == "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case args[0] == "version" || args[0] == "--version" || args[0] == "-version":
		fmt.Fprintf(stdout, "capture-agent %s\n", Version)
		return exitOK
	default:
		fmt.Fprintf(stderr, "capture-agent: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	var code exitCode
	switch {
	case errors.As(err, &code):
		return int(code)
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	default:
		fmt.Fprintf(stderr, "capture-agent: %v\n", err)
		return exitFailure
	}
}

// flagSet builds a flag set whose usage shows synopsis and the flags.
func flagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, allowing up to maxPos positional arguments among the
// flags. --help prints the usage on stdout; a bad flag prints why and the
// usage on stderr and returns errUsage.
func parse(fs *flag.FlagSet, args []string, maxPos int, stdout, stderr io.Writer) ([]string, error) {
	var out bytes.Buffer
	fs.SetOutput(&out)
	var pos []string
	var err error
	for {
		if err = fs.Parse(args); err != nil || fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err == nil && len(pos) > maxPos {
		fmt.Fprintf(&out, "%s: unexpected argument %q\n", fs.Name(), pos[maxPos])
		fs.Usage()
		err = errUsage
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = stdout.Write(out.Bytes())
		return nil, flag.ErrHelp
	case err != nil:
		_, _ = stderr.Write(out.Bytes())
		return nil, errUsage
	}
	return pos, nil
}

// usageErr reports a usage problem with the flag set's usage.
func usageErr(fs *flag.FlagSet, stderr io.Writer, format string, a ...any) error {
	fmt.Fprintf(stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, a...))
	fs.SetOutput(stderr)
	fs.Usage()
	return errUsage
}

// errExists refuses to overwrite a file without --force.
var errExists = errors.New("the file exists")

// refuseExisting fails with errExists, naming the flag, when path exists
// and force is not set; with force it removes the old file.
func refuseExisting(path, flagName string, force bool) error {
	if _, err := os.Lstat(path); err != nil {
		return nil
	}
	if !force {
		return fmt.Errorf("%s: %w; choose another %s or add --force to replace it", path, errExists, flagName)
	}
	return os.Remove(path)
}

// tagFlag collects repeated --tag key=value flags.
type tagFlag map[string]string

func (t tagFlag) String() string { return fmt.Sprint(map[string]string(t)) }

func (t tagFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	t[k] = v
	return nil
}

func (m *Main) getenv(k string) string {
	if m.Getenv != nil {
		return m.Getenv(k)
	}
	return os.Getenv(k)
}
