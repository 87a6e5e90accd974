package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// Exit codes of a script run (docs/scripting.md).
const (
	ExitPass      = 0 // every check passed
	ExitFail      = 1 // a check failed, or the desktop could not be driven
	ExitBadScript = 2 // the script is wrong: file:line:col says where
)

// ExitCode maps the outcome of Load, Parse or Run to the process exit code:
// 2 for a *SyntaxError, 1 for a failed check or any other error, else 0.
func ExitCode(res *Result, err error) int {
	var se *SyntaxError
	switch {
	case errors.As(err, &se):
		return ExitBadScript
	case err != nil:
		return ExitFail
	case res == nil:
		return ExitFail
	case res.Failure != nil:
		return ExitFail
	}
	return ExitPass
}

// Load reads and parses the script at path; "-" reads stdin. A missing or
// unreadable file is a *SyntaxError (exit code 2).
func Load(path string, stdin io.Reader) (*Script, error) {
	if path == "-" {
		if stdin == nil {
			return nil, &SyntaxError{File: "-", Msg: "no standard input to read the script from"}
		}
		return Parse("-", stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		msg := "cannot open the script: " + err.Error()
		if errors.Is(err, os.ErrNotExist) {
			msg = "no such script file: check the path, or pass - to read the script from standard input"
		}
		return nil, &SyntaxError{File: path, Msg: msg}
	}
	defer f.Close()
	return Parse(path, f)
}

// Report prints the outcome of a run: nothing but a one-line summary on
// success to stdout; the failure (position, what was expected, the screen)
// or the script error to stderr. It returns the exit code.
func Report(stdout, stderr io.Writer, res *Result, err error) int {
	code := ExitCode(res, err)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "%v\n", err)
	case res != nil && res.Failure != nil:
		fmt.Fprint(stderr, res.Failure.Format())
	case res != nil:
		fmt.Fprintf(stdout, "ok: %d steps, %d checks passed in %s\n", res.Steps, res.Checks, res.Elapsed.Round(1e6))
	}
	return code
}

// Format renders the failure for a person: file:line: the step, what was
// expected, any detail, then the screen as it was, framed.
func (f *Failure) Format() string {
	var b strings.Builder
	pos := f.Pos
	pos.Col = 0
	fmt.Fprintf(&b, "%s: check failed: %s\n", pos, f.Src)
	fmt.Fprintf(&b, "  expected %s\n", f.Expected)
	if f.Detail != "" {
		for _, l := range strings.Split(strings.TrimRight(f.Detail, "\n"), "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	fmt.Fprintf(&b, "screen (%dx%d):\n", f.Cols, f.Rows)
	for _, l := range strings.Split(f.Screen, "\n") {
		fmt.Fprintf(&b, "  |%s\n", l)
	}
	return b.String()
}

// Options are the command-line settings of a script run.
type Options struct {
	Stdin       io.Reader    // read when the script path is "-"
	Events      *EventLog    // nil: no events log; the caller closes it
	Cols, Rows  int          // 0: DefaultCols x DefaultRows
	SnapshotDir string       // --snapshots; "" means <script dir>/snapshots
	Update      bool         // --update: rewrite snapshots that differ
	Hub         HubControl   // demo mode: what `hub down` / `hub up` act on; nil otherwise
	API         RecordingAPI // demo mode: what `api` steps call; nil otherwise
	Agents      Agents       // demo mode: the other agents of `agent` steps; nil otherwise
	Supervisors Supervisors  // demo mode: the supervisors of `supervisor` steps; nil otherwise
}

// Main runs the script at scriptPath against model and reports: the whole
// of `agentdesk [demo] --script FILE` after the caller built the model.
// customers is nil outside demo mode. It returns the process exit code.
// Callers that must not build the model for a broken script should call
// Load first, then RunScript.
func Main(ctx context.Context, scriptPath string, model tea.Model, customers Customers, stdout, stderr io.Writer, opts Options) int {
	s, err := Load(scriptPath, opts.Stdin)
	if err != nil {
		return Report(stdout, stderr, nil, err)
	}
	return RunScript(ctx, s, model, customers, stdout, stderr, opts)
}

// RunScript runs a loaded script against model and reports; it returns the
// process exit code.
func RunScript(ctx context.Context, s *Script, model tea.Model, customers Customers, stdout, stderr io.Writer, opts Options) int {
	res, err := Run(ctx, s, Env{
		Model:       model,
		Customers:   customers,
		Hub:         opts.Hub,
		API:         opts.API,
		Agents:      opts.Agents,
		Supervisors: opts.Supervisors,
		Events:      opts.Events,
		Cols:        opts.Cols,
		Rows:        opts.Rows,
		SnapshotDir: opts.SnapshotDir,
		Update:      opts.Update,
	})
	return Report(stdout, stderr, res, err)
}
