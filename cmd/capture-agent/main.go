// Command capture-agent records the agent's screen and microphone into a
// crash-safe spool and turns spools into WebM files.
//
//	capture-agent record --out FILE.spool [--seconds N] [--fps 5] [--display :N] [--mic NAME] [--synthetic] [--force]
//	capture-agent recover FILE.spool --webm OUT.webm [--force]
//	capture-agent version (or --version)
//
// Exit codes: 0 done, 1 failure (no device, disk full, bad spool), 2 bad
// usage. The service with its control socket grows from the Main type.
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

	"github.com/agentdesk/agentdesk/session"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

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

const usage = `capture-agent — records the agent's screen and microphone, crash-safely

Usage:
  capture-agent record --out FILE.spool [--seconds N] [--fps 5] [--display :N] [--mic NAME] [--synthetic] [--force]
      Record until N seconds have passed, or SIGTERM / SIGINT. The spool
      survives kill -9: everything up to about two seconds before is kept.
      An existing --out is refused unless --force.
  capture-agent recover FILE.spool --webm OUT.webm [--force]
      Read a spool (even a torn one) and write the WebM file. An existing
      --webm is refused unless --force.
  capture-agent version, capture-agent --version
      Print the version.

Run 'capture-agent <command> --help' for a command's flags.
`

// Run runs the program with args (without its name) and returns the exit
// code.
func (m *Main) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return exitUsage
	case args[0] == "record":
		err = m.record(ctx, args[1:], stdout, stderr)
	case args[0] == "recover":
		err = m.recover(ctx, args[1:], stdout, stderr)
	case args[0] == "version" || args[0] == "--version" || args[0] == "-version":
		fmt.Fprintf(stdout, "capture-agent %s\n", session.Version)
		return exitOK
	case args[0] == "help" || args[0] == "--help" || args[0] == "-h" || args[0] == "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "capture-agent: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	switch {
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
