package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Customers drives the simulated customers of demo mode. Each method acts
// for the customer of the given script name and returns when the hub has
// the message (or an error saying why not). Open must come before the
// other calls for a name. Implementations must be safe for use from the
// runner's goroutine while the model runs.
type Customers interface {
	Open(ctx context.Context, name, queue string) error
	Say(ctx context.Context, name, text string) error
	Type(ctx context.Context, name, text string) error
	Leave(ctx context.Context, name string) error
}

// HubControl cuts and restores the network between the desktop and the
// hub, for the `hub down` and `hub up` steps of demo mode. Down returns
// once every connection of the desktop to the hub is closed and new ones
// are refused; Up once new ones are let through again (the desktop then
// reconnects on its own schedule: wait for what it shows). Both are
// idempotent and safe for use from the runner's goroutine while the model
// runs.
type HubControl interface {
	Down(ctx context.Context) error
	Up(ctx context.Context) error
}

// Default terminal size and poll interval of a run.
const (
	DefaultCols  = 100
	DefaultRows  = 30
	DefaultPoll  = 20 * time.Millisecond
	quitDeadline = 2 * time.Second // how long the program may take to stop
)

// Env is what a run drives and where it writes.
type Env struct {
	Model       tea.Model     // the model under test (the real *ui.Model); required
	Customers   Customers     // nil outside demo mode: customer steps are then an error
	Hub         HubControl    // nil outside demo mode: hub steps are then an error
	API         RecordingAPI  // nil outside demo mode: api steps are then an error
	Agents      Agents        // nil outside demo mode: agent steps are then an error
	Supervisors Supervisors   // nil outside demo mode: supervisor steps are then an error
	Events      *EventLog     // nil: no events log
	Cols, Rows  int           // starting terminal size; 0 means DefaultCols x DefaultRows
	SnapshotDir string        // "" means <script dir>/snapshots
	Update      bool          // compare rewrites a differing or missing snapshot instead of failing
	Poll        time.Duration // how often waits look at the screen; 0 means DefaultPoll
}

// Failure is a check that did not pass: the run exits with code 1.
type Failure struct {
	Pos      Pos
	Src      string // the step as written
	Expected string // what the step expected, in words
	Detail   string // more: a snapshot diff, a customer error; may be empty
	Screen   string // the screen when the check failed
	Cols     int
	Rows     int
}

// Result is the outcome of a run that did not meet a script error.
type Result struct {
	Steps   int           // steps run (the failed one included)
	Checks  int           // checks passed
	Failure *Failure      // nil when every check passed
	Screen  string        // the screen at the end
	Elapsed time.Duration // wall time of the run
}

// Errors of a run that are not check failures.
var (
	ErrNoModel       = errors.New("script: Env.Model is nil")
	ErrProgramExited = errors.New("script: the desktop program exited")
)

// Run starts env.Model in a headless bubbletea program and runs the steps
// of s against it, stopping at the first failed check (Result.Failure). Keys
// go in as the bytes a terminal sends, through bubbletea's input parser.
// A script that cannot run as written (customer steps without Customers, a
// missing snapshot) returns *SyntaxError before the program starts.
func Run(ctx context.Context, s *Script, env Env) (*Result, error) {
	if env.Model == nil {
		return nil, ErrNoModel
	}
	if env.Cols <= 0 || env.Rows <= 0 {
		env.Cols, env.Rows = DefaultCols, DefaultRows
	}
	if env.Poll <= 0 {
		env.Poll = DefaultPoll
	}
	if env.SnapshotDir == "" {
		env.SnapshotDir = filepath.Join(s.Dir, "snapshots")
	}
	if err := check(s, env); err != nil {
		return nil, err
	}
	start := time.Now()
	r, err := startRunner(ctx, s, env)
	if err != nil {
		return nil, err
	}
	var res *Result
	runErr := r.awaitReady(ctx)
	if runErr == nil {
		res, runErr = r.steps(ctx)
	} else {
		res = &Result{}
	}
	stopErr := r.stop()
	res.Screen = r.obs.Screen()
	res.Elapsed = time.Since(start)
	end := map[string]any{"ok": runErr == nil && res.Failure == nil, "steps": res.Steps, "checks": res.Checks}
	if f := res.Failure; f != nil {
		end["line"], end["expected"] = f.Pos.Line, f.Expected
	}
	_ = env.Events.Write(EventScreen, map[string]any{"screen": res.Screen})
	_ = env.Events.Write(EventEnd, end)
	if runErr != nil {
		return res, runErr
	}
	if stopErr != nil && res.Failure == nil {
		return res, stopErr
	}
	return res, nil
}

// check finds the mistakes a script can only show against its Env.
func check(s *Script, env Env) error {
	saved := map[string]bool{}
	for _, st := range s.Steps {
		switch st.Op {
		case OpCustomer:
			if env.Customers == nil {
				return &SyntaxError{File: st.Pos.File, Line: st.Pos.Line, Col: st.Pos.Col,
					Msg: "customer steps need the simulated customers of demo mode: run `agentdesk demo --script FILE`"}
			}
		case OpHub:
			if env.Hub == nil {
				return &SyntaxError{File: st.Pos.File, Line: st.Pos.Line, Col: st.Pos.Col,
					Msg: "hub steps need the in-process hub of demo mode: run `agentdesk demo --script FILE`"}
			}
		case OpAPI:
			if err := checkAPI(st, env); err != nil {
				return err
			}
		case OpAgent:
			if env.Agents == nil {
				return &SyntaxError{File: st.Pos.File, Line: st.Pos.Line, Col: st.Pos.Col,
					Msg: "agent steps need the other agents of demo mode: run `agentdesk demo --script FILE`"}
			}
		case OpSupervisor:
			if err := checkSupervisor(st, env); err != nil {
				return err
			}
		case OpSnapshot:
			saved[st.Name] = true
		case OpCompare:
			if saved[st.Name] || env.Update {
				continue
			}
			path := filepath.Join(env.SnapshotDir, st.Name+".txt")
			if _, err := os.Stat(path); err != nil {
				return &SyntaxError{File: st.Pos.File, Line: st.Pos.Line, Col: st.Pos.Col,
					Msg: fmt.Sprintf("no snapshot %s: run once with --update to create it, or `snapshot %s` earlier in the script", path, st.Name)}
			}
		}
	}
	return nil
}

// runner is one run in progress.
type runner struct {
	s    *Script
	env  Env
	obs  *observer
	prog *tea.Program
	in   *os.File // write end of the program's input pipe
	done chan struct{}
	err  error // the program's Run error, valid after done is closed
}

func startRunner(ctx context.Context, s *Script, env Env) (*runner, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("script: input pipe: %w", err)
	}
	obs := newObserver(env.Model, env.Cols, env.Rows, env.Events)
	prog := tea.NewProgram(obs,
		tea.WithContext(ctx),
		// Not the *os.File itself: bubbletea's epoll reader closes the file
		// while its own reader may still poll it (a data race on kill). A
		// plain reader ends on EOF, when the write end is closed.
		tea.WithInput(struct{ io.Reader }{pr}),
		tea.WithOutput(discard{}),
		tea.WithWindowSize(env.Cols, env.Rows),
		tea.WithoutSignalHandler(),
		tea.WithColorProfile(colorprofile.NoTTY),
		tea.WithEnvironment([]string{"TERM=xterm-256color"}),
	)
	r := &runner{s: s, env: env, obs: obs, prog: prog, in: pw, done: make(chan struct{})}
	_ = env.Events.Write(EventStart, map[string]any{"script": s.Name, "cols": env.Cols, "rows": env.Rows, "steps": len(s.Steps)})
	stopInput := context.AfterFunc(ctx, func() { _ = pw.Close() })
	go func() {
		defer stopInput()
		_, r.err = prog.Run()
		close(r.done)
	}()
	return r, nil
}

// discard is an io.Writer that drops everything; not io.Discard so that
// bubbletea cannot mistake it for a terminal or special-case it.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// stop ends the program and waits for it; the model's own quit is fine.
func (r *runner) stop() error {
	_ = r.in.Close()
	select {
	case <-r.done:
	default:
		r.prog.Quit()
		select {
		case <-r.done:
		case <-time.After(quitDeadline):
			r.prog.Kill()
			<-r.done
		}
	}
	// The read end is not closed here: bubbletea's reader goroutine may
	// still be inside Read after a kill. Closing the write end above gives
	// it EOF; the garbage collector closes the read end afterwards.
	if r.err != nil && !errors.Is(r.err, tea.ErrProgramKilled) {
		return fmt.Errorf("script: the desktop program failed: %w", r.err)
	}
	return nil
}

// steps runs the script's steps in order.
func (r *runner) steps(ctx context.Context) (*Result, error) {
	res := &Result{}
	for i := range r.s.Steps {
		st := &r.s.Steps[i]
		res.Steps++
		_ = r.env.Events.Write(EventStep, map[string]any{"line": st.Pos.Line, "src": st.Src})
		f, checked, err := r.step(ctx, st)
		if err != nil {
			return res, err
		}
		if f != nil {
			f.Pos, f.Src = st.Pos, st.Src
			if f.Screen == "" {
				f.Screen, _, f.Cols, f.Rows, _ = r.obs.snapshot()
			}
			res.Failure = f
			return res, nil
		}
		if checked {
			res.Checks++
		}
	}
	return res, nil
}

// step runs one step; checked tells whether it was a check that passed.
func (r *runner) step(ctx context.Context, st *Step) (f *Failure, checked bool, err error) {
	switch st.Op {
	case OpKey:
		for _, k := range st.Keys {
			if f, err := r.send(ctx, k.Bytes, 1, k.Name); f != nil || err != nil {
				return f, false, err
			}
		}
		return nil, false, nil
	case OpType:
		b, _ := typedKeys(st.Text) // checked by Parse
		if b == "" {
			return nil, false, nil
		}
		f, err := r.send(ctx, b, keyEvents(b), fmt.Sprintf("the text %q", st.Text))
		return f, false, err
	case OpWait, OpWaitGone:
		f, err := r.wait(ctx, st)
		return f, f == nil && err == nil, err
	case OpExpect, OpExpectNot:
		f := r.expect(st)
		return f, f == nil, nil
	case OpSleep:
		return nil, false, r.sleep(ctx, st.Duration)
	case OpResize:
		f, err := r.resize(ctx, st)
		return f, false, err
	case OpSnapshot:
		return nil, false, r.snapshot(st)
	case OpCompare:
		f, err := r.compare(st)
		return f, f == nil && err == nil, err
	case OpCustomer:
		f, err := r.customer(ctx, st)
		return f, false, err
	case OpHub:
		f, err := r.hub(ctx, st)
		return f, false, err
	case OpAPI:
		return r.api(ctx, st)
	case OpAgent:
		f, err := r.agent(ctx, st)
		return f, false, err
	case OpSupervisor:
		f, err := r.supervisor(ctx, st)
		return f, false, err
	}
	return nil, false, fmt.Errorf("script: unknown step op %v", st.Op)
}
