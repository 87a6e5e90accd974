package script

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// counter is the fake desktop of these tests: it shows the keys it received
// (as bubbletea's input parser named them), its size, and a "later" line a
// while after the key l, so waits have something to wait for.
type counter struct {
	keys  []string
	w, h  int
	later string
	typed string
}

type laterMsg struct{}

func (c *counter) Init() tea.Cmd { return nil }

func (c *counter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch m := msg.(type) {
	case tea.KeyPressMsg:
		c.keys = append(c.keys, m.String())
		c.typed += m.Text
		switch m.String() {
		case "l":
			return c, tea.Tick(150*time.Millisecond, func(time.Time) tea.Msg { return laterMsg{} })
		case "ctrl+q":
			return c, tea.Quit
		}
	case tea.WindowSizeMsg:
		c.w, c.h = m.Width, m.Height
	case laterMsg:
		c.later = "LATER"
	}
	return c, nil
}

func (c *counter) View() tea.View {
	last := ""
	if len(c.keys) > 0 {
		last = c.keys[len(c.keys)-1]
	}
	body := fmt.Sprintf("\x1b[1mkeys: %d\x1b[0m   \nlast: %s\nall: %s\ntyped: %s\nsize: %dx%d\n%s\n%s",
		len(c.keys), last, strings.Join(c.keys, ","), c.typed, c.w, c.h, c.later, strings.Repeat("#", 200))
	return tea.NewView(body)
}

// fakeCustomers records the calls of customer steps.
type fakeCustomers struct {
	mu    sync.Mutex
	calls []string
	fail  string // action that fails
}

func (f *fakeCustomers) do(s string, action string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	if action == f.fail {
		return errors.New("hub said no")
	}
	return nil
}
func (f *fakeCustomers) Open(_ context.Context, name, queue string) error {
	return f.do("open "+name+" "+queue, "open")
}
func (f *fakeCustomers) Say(_ context.Context, name, text string) error {
	return f.do("say "+name+" "+text, "says")
}
func (f *fakeCustomers) Type(_ context.Context, name, text string) error {
	return f.do("type "+name+" "+text, "types")
}
func (f *fakeCustomers) Leave(_ context.Context, name string) error {
	return f.do("leave "+name, "leaves")
}

func run(t *testing.T, src string, env Env) (*Result, error) {
	t.Helper()
	s, err := Parse(filepath.Join(t.TempDir(), "t.script"), strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if env.Model == nil {
		env.Model = &counter{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, s, env)
}

// TestRunKeysThroughInputParser proves keys reach the model as the names
// bubbletea's own parser gives the bytes a terminal sends.
func TestRunKeysThroughInputParser(t *testing.T) {
	src := `key ctrl+r enter esc up shift+tab f5 alt+x pgdown backspace space Q
type "hé\n"
expect "all: ctrl+r,enter,esc,up,shift+tab,f5,alt+x,pgdown,backspace,space,Q,h,é,enter"
expect "keys: 14"
expect "typed:  Qhé"
`
	res, err := run(t, src, Env{})
	if code := ExitCode(res, err); code != ExitPass {
		t.Fatalf("exit %d: %v %s", code, err, failure(res))
	}
	if res.Checks != 3 || res.Steps != 5 {
		t.Errorf("steps %d checks %d, want 5 and 3", res.Steps, res.Checks)
	}
}

func failure(res *Result) string {
	if res == nil || res.Failure == nil {
		return ""
	}
	return res.Failure.Format()
}

func TestRunScreenIsPlainAndCut(t *testing.T) {
	res, err := run(t, "expect \"keys: 0\"\nresize 40 5\nexpect size:", Env{Cols: 50, Rows: 20})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("%v %s", err, failure(res))
	}
	lines := strings.Split(res.Screen, "\n")
	if len(lines) != 5 {
		t.Fatalf("screen has %d lines, want 5 (cut to rows): %q", len(lines), res.Screen)
	}
	if lines[0] != "keys: 0" {
		t.Errorf("first line %q: want ANSI stripped and trailing spaces trimmed", lines[0])
	}
	if strings.Contains(res.Screen, "\x1b") {
		t.Errorf("screen has escape sequences")
	}
	res, err = run(t, "expect zzz", Env{Cols: 50, Rows: 20})
	if ExitCode(res, err) != ExitFail {
		t.Fatal("expect zzz should fail")
	}
	if got := strings.Split(res.Screen, "\n")[6]; got != strings.Repeat("#", 50) {
		t.Errorf("long line = %q, want cut to 50 columns", got)
	}
}

func TestRunWait(t *testing.T) {
	res, err := run(t, "key l\nexpect-not LATER\nwait LATER timeout 3s\nwait-gone nothing-here", Env{})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("%v %s", err, failure(res))
	}
}

func TestRunWaitTimesOut(t *testing.T) {
	start := time.Now()
	res, err := run(t, "expect keys\n\nwait \"never shown\" timeout 200ms\nexpect keys", Env{})
	if code := ExitCode(res, err); code != ExitFail {
		t.Fatalf("exit %d, want 1: %v", code, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	f := res.Failure
	if f.Pos.Line != 3 || f.Expected != `"never shown" on the screen within 200ms (timed out)` || res.Steps != 2 {
		t.Errorf("failure = %+v, steps %d", f, res.Steps)
	}
	out := f.Format()
	for _, want := range []string{"t.script:3: check failed: wait \"never shown\" timeout 200ms",
		"expected \"never shown\" on the screen within 200ms", "screen (100x30):", "  |keys: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestRunExpectFailures(t *testing.T) {
	cases := []struct{ src, expected string }{
		{"expect nope", `"nope" on the screen`},
		{"expect-not keys:", `no "keys:" on the screen`},
		{"wait-gone keys timeout 50ms", `"keys" gone from the screen within 50ms (timed out)`},
	}
	for _, c := range cases {
		res, err := run(t, c.src, Env{})
		if ExitCode(res, err) != ExitFail || res.Failure.Expected != c.expected || res.Failure.Pos.Line != 1 {
			t.Errorf("%s: %v %+v", c.src, err, res.Failure)
		}
	}
}

func TestRunResize(t *testing.T) {
	res, err := run(t, "wait \"size: 100x30\"\nresize 60 12\nexpect \"size: 60x12\"", Env{})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("%v %s", err, failure(res))
	}
	if n := len(strings.Split(res.Screen, "\n")); n != 7 {
		t.Errorf("screen lines %d", n)
	}
}

func TestRunSnapshotCompare(t *testing.T) {
	dir := t.TempDir()
	res, err := run(t, "key a\nsnapshot one\ncompare one", Env{SnapshotDir: dir})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("%v %s", err, failure(res))
	}
	b, err := os.ReadFile(filepath.Join(dir, "one.txt"))
	if err != nil || !strings.HasPrefix(string(b), "keys: 1\nlast: a\n") || !strings.HasSuffix(string(b), "#\n") {
		t.Fatalf("snapshot file = %q, %v", b, err)
	}
	// A different screen fails with a line diff.
	res, err = run(t, "key b\ncompare one", Env{SnapshotDir: dir})
	if ExitCode(res, err) != ExitFail {
		t.Fatalf("compare of a different screen: %v %+v", err, res)
	}
	if d := res.Failure.Detail; !strings.Contains(d, "-last: a") || !strings.Contains(d, "+last: b") {
		t.Errorf("diff = %s", d)
	}
	// --update rewrites it, and then it matches.
	res, err = run(t, "key b\ncompare one", Env{SnapshotDir: dir, Update: true})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("update: %v %s", err, failure(res))
	}
	res, err = run(t, "key c\nkey backspace\ncompare one", Env{SnapshotDir: dir, Model: &counter{keys: []string{"x"}}})
	if ExitCode(res, err) != ExitFail {
		t.Fatalf("want a diff after update: %v", err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "one.txt"))
	if !strings.Contains(string(b), "last: b") {
		t.Errorf("snapshot not rewritten: %q", b)
	}
}

func TestRunCompareMissingSnapshot(t *testing.T) {
	res, err := run(t, "expect keys\ncompare none", Env{SnapshotDir: t.TempDir()})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(se.Msg, "--update") || res != nil {
		t.Fatalf("got %v, %+v", err, res)
	}
	if ExitCode(res, err) != ExitBadScript {
		t.Errorf("exit %d", ExitCode(res, err))
	}
}

func TestRunCustomers(t *testing.T) {
	src := "customer ann open queue sales\ncustomer ann types \"hel\"\ncustomer ann says hello\ncustomer ann leaves"
	fc := &fakeCustomers{}
	res, err := run(t, src, Env{Customers: fc})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("%v %s", err, failure(res))
	}
	want := []string{"open ann sales", "type ann hel", "say ann hello", "leave ann"}
	if strings.Join(fc.calls, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q", fc.calls)
	}
	// Outside demo mode a customer step is a script error (exit 2), found
	// before anything runs.
	res, err = run(t, "key a\ncustomer ann open", Env{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(se.Msg, "agentdesk demo --script") {
		t.Fatalf("got %v", err)
	}
	if ExitCode(res, err) != ExitBadScript {
		t.Errorf("exit %d", ExitCode(res, err))
	}
	// A customer that cannot act fails the run at its line.
	res, err = run(t, "customer ann open\ncustomer ann says hi", Env{Customers: &fakeCustomers{fail: "says"}})
	if ExitCode(res, err) != ExitFail || res.Failure.Pos.Line != 2 || res.Failure.Detail != "hub said no" {
		t.Fatalf("got %v %+v", err, res)
	}
}

func TestRunModelQuits(t *testing.T) {
	// The model quits on ctrl+q; a key sent at once may still reach it
	// before the program has stopped (bubbletea runs the quit command
	// after the key's update), so the script lets it stop first.
	res, err := run(t, "key ctrl+q\nsleep 300ms\nkey a", Env{})
	if ExitCode(res, err) != ExitFail || res.Failure.Pos.Line != 3 || !strings.Contains(res.Failure.Detail, "exited") {
		t.Fatalf("got %v %+v", err, res)
	}
	res, err = run(t, "key ctrl+q\nwait nothing timeout 3s", Env{})
	if ExitCode(res, err) != ExitFail || !strings.Contains(res.Failure.Detail, "exited") {
		t.Fatalf("got %v %+v", err, res)
	}
}

func TestRunContextCancel(t *testing.T) {
	s := mustParse(t, "sleep 10m")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	res, err := Run(ctx, s, Env{Model: &counter{}})
	if !errors.Is(err, context.Canceled) || ExitCode(res, err) != ExitFail {
		t.Fatalf("got %v", err)
	}
}

func TestRunEventsLog(t *testing.T) {
	var buf bytes.Buffer
	log := NewEventLog(&buf, nil)
	res, err := run(t, "key ctrl+r\ncustomer ann says hi\nexpect keys:", Env{Events: log, Customers: &fakeCustomers{}})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("%v %s", err, failure(res))
	}
	kinds := map[string]int{}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, `{"t":"`) || !strings.Contains(line, `","kind":"`) {
			t.Fatalf("line does not start with t and kind: %s", line)
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad JSON %s: %v", line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, ev["t"].(string)); err != nil {
			t.Errorf("bad t: %v", err)
		}
		kind := ev["kind"].(string)
		kinds[kind]++
		if kind == EventKey && ev["key"] != "ctrl+r" {
			t.Errorf("key event %v", ev)
		}
		if kind == EventCheck && (ev["ok"] != true || ev["line"] != 3.0) {
			t.Errorf("check event %v", ev)
		}
	}
	for _, k := range []string{EventStart, EventStep, EventKey, EventCustomer, EventCheck, EventScreen, EventEnd} {
		if kinds[k] == 0 {
			t.Errorf("no %q event; got %v", k, kinds)
		}
	}
}

func TestExitCode(t *testing.T) {
	cases := []struct {
		name string
		res  *Result
		err  error
		want int
	}{
		{"pass", &Result{}, nil, 0},
		{"check failed", &Result{Failure: &Failure{}}, nil, 1},
		{"run error", &Result{}, ErrProgramExited, 1},
		{"no result", nil, nil, 1},
		{"script error", nil, fmt.Errorf("wrapped: %w", &SyntaxError{File: "f", Line: 1, Col: 1, Msg: "m"}), 2},
	}
	for _, c := range cases {
		if got := ExitCode(c.res, c.err); got != c.want {
			t.Errorf("%s: ExitCode = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestMain_(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ok.script")
	if err := os.WriteFile(path, []byte("key a\nexpect \"last: a\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, stdin string
		want              int
		out, errOut       string
	}{
		{"pass", path, "", 0, "ok: 2 steps, 1 checks passed", ""},
		{"stdin fails", "-", "key a\nexpect \"last: b\"\n", 1, "", "-:2: check failed: expect \"last: b\""},
		{"bad script", "-", "key nosuchkey\n", 2, "", "-:1:5: unknown key \"nosuchkey\""},
		{"missing file", filepath.Join(dir, "nope"), "", 2, "", "no such script file"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), c.path, &counter{}, nil, &out, &errOut, Options{Stdin: strings.NewReader(c.stdin)})
		if code != c.want || !strings.Contains(out.String(), c.out) || !strings.Contains(errOut.String(), c.errOut) {
			t.Errorf("%s: exit %d (want %d)\nstdout %q\nstderr %q", c.name, code, c.want, out.String(), errOut.String())
		}
	}
}
