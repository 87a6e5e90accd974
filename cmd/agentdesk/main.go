// Command agentdesk is the contact-centre agent's terminal desktop.
//
//	agentdesk --hub URL --token TOKEN   work chats on a hub
//	agentdesk demo                      hub, simulated customers and the desktop in one process
//	agentdesk [demo] --script FILE      run a keystroke script headless (docs/scripting.md)
//	agentdesk doctor                    check screen, microphone, disk and hub for recording
//	agentdesk version (or --version)    print the version
//
// Every subcommand takes --help.
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

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/ui"
)

// Version is the agentdesk version, reported by `agentdesk version` and
// sent to the hub in hello.
const Version = hubclient.Version

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure: cannot listen, cannot start the TUI…
	exitUsage   = 2 // unknown subcommand, bad flag, missing argument
)

// errUsage marks errors that are the user's command line, not the machine.
var errUsage = errors.New("usage")

// TUIFunc runs the desktop until the user quits or ctx ends. The real one
// runs ui.New(o) in a bubbletea program on in/out; tests replace it.
type TUIFunc func(ctx context.Context, o ui.Options, in io.Reader, out io.Writer) error

// Main is the agentdesk program. Its zero value is ready to use; tests set
// its fields.
type Main struct {
	// Getenv reads the environment (nil: os.Getenv).
	Getenv func(string) string
	// TUI runs the desktop (nil: the bubbletea program).
	TUI TUIFunc
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&Main{}).Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `agentdesk — the contact-centre agent's terminal desktop

Usage:
  agentdesk [--hub URL] [--token TOKEN] [--config FILE] [--log FILE]
      Work chats on a hub. URL and TOKEN also come from AGENTDESK_HUB and
      AGENTDESK_TOKEN, or from a YAML config file (keys: hub, token).
      Flags win over the environment, which wins over the file.
  agentdesk demo [--listen ADDR] [--agent ID] [--customers N] [--config FILE] [--not-ready]
      Everything in one process: a hub on loopback, simulated customers and
      the desktop logged in as a demo agent, Ready at once. Prints the
      customer web chat address so you can chat as a customer from a browser.
  agentdesk [demo] --script FILE [--events FILE] [--snapshots DIR] [--update] [--size COLSxROWS]
      Run a keystroke script against the real desktop without a terminal:
      exit 0 when every check passed, 1 when one failed, 2 when the script is
      wrong. FILE - reads standard input. See docs/scripting.md.
  agentdesk doctor [--display :N] [--mic NAME] [--spool-dir DIR] [--hub URL] [--token TOKEN]
      Check displays, microphones, disk, the hub and the token for recording;
      say how to fix what is wrong. Exit 0 all good, 1 problems found.
  agentdesk version, agentdesk --version
      Print the version.
  agentdesk help, agentdesk --help
      Print this help and the desktop's flags.

Exit codes: 0 success, 1 a runtime failure (the hub refused the token, a
failed script check, problems found by doctor), 2 bad flags, a bad config
file or a wrong script.

Run 'agentdesk <command> --help' for a command's flags.
In the desktop, ? lists the keys; q or ctrl+c leaves.
`

// Run runs agentdesk with args (without the program name) and returns the
// exit code: 0 ok, 1 runtime failure, 2 bad usage.
func (m *Main) Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) > 0 && args[0] == "demo":
		err = m.demo(ctx, args[1:], stdin, stdout, stderr)
	case len(args) > 0 && isVersionArg(args[0]):
		err = m.version(args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "doctor":
		err = m.doctor(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "help":
		err = m.desk(ctx, []string{"--help"}, stdin, stdout, stderr)
	case len(args) > 0 && args[0] != "" && args[0][0] != '-':
		fmt.Fprintf(stderr, "agentdesk: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	default:
		err = m.desk(ctx, args, stdin, stdout, stderr)
	}
	if code, ok := asExitCode(err); ok { // already reported
		return code
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		// the flag set or the command has already said what is wrong
		return exitUsage
	default:
		fmt.Fprintf(stderr, "agentdesk: %v\n", err)
		return exitFailure
	}
}

// isVersionArg reports whether arg asks for the version: the command
// version or the flags --version and -version.
func isVersionArg(arg string) bool {
	switch arg {
	case "version", "--version", "-version", "-V":
		return true
	}
	return false
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

// parse parses args. --help prints the usage on stdout and returns
// flag.ErrHelp; a bad flag or a stray argument prints why on stderr, with
// where to find the flags (not the whole usage, which would bury the
// reason), and returns errUsage.
func parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var out bytes.Buffer
	fs.SetOutput(&out)
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on an error too
	err := fs.Parse(args)
	fs.Usage = usage
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return flag.ErrHelp
	case err != nil:
		msg := strings.TrimSpace(out.String())
		if msg == "" {
			msg = err.Error()
		}
		fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for the flags.\n", fs.Name(), msg, fs.Name())
		return errUsage
	}
	return nil
}

func (m *Main) version(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("agentdesk version", "Usage: agentdesk version")
	if err := parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "agentdesk %s\n", Version)
	return nil
}

func (m *Main) getenv(k string) string {
	if m.Getenv != nil {
		return m.Getenv(k)
	}
	return os.Getenv(k)
}

// needTTY fails early, in words, when the real desktop would have no
// terminal to draw on.
func (m *Main) needTTY(in io.Reader) error {
	if m.TUI != nil {
		return nil
	}
	if f, ok := in.(*os.File); ok && !term.IsTerminal(f.Fd()) {
		return errors.New("the desktop needs a terminal: stdin is not a TTY")
	}
	return nil
}

func (m *Main) tui(ctx context.Context, o ui.Options, in io.Reader, out io.Writer) error {
	if m.TUI != nil {
		return m.TUI(ctx, o, in, out)
	}
	return runTUI(ctx, o, in, out)
}

// runTUI runs the desktop in a bubbletea program. Leaving with q or ctrl+c,
// an interrupt or the end of ctx is a clean exit; the program restores the
// terminal in every case. A desktop the hub refused (a wrong token) ends
// with errRefused, after the terminal is restored, so the words stay.
func runTUI(ctx context.Context, o ui.Options, in io.Reader, out io.Writer) error {
	p := tea.NewProgram(ui.New(o), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	final, err := p.Run()
	if errors.Is(err, tea.ErrInterrupted) || (errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil && !errors.Is(err, tea.ErrProgramPanic)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	return refusal(final)
}

// refusal is the error of a desktop that ended because the hub refused
// it, with what to check; nil otherwise.
func refusal(final tea.Model) error {
	if d, ok := final.(interface{ Err() error }); ok && errors.Is(d.Err(), ui.ErrRefused) {
		return fmt.Errorf("%w\nCheck the token (--token, AGENTDESK_TOKEN or the config file's token); "+
			"agentdesk doctor --hub URL --token TOKEN checks it", d.Err())
	}
	return nil
}
