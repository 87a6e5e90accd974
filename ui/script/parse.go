// Package script is the keystroke-script language of the agent desktop and
// its runner: a tester's file of keys to press, text to type and screens to
// check, run against the real desktop model in a headless bubbletea program.
// docs/scripting.md is the reference.
package script

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults of the language, documented in docs/scripting.md.
const (
	DefaultTimeout = 5 * time.Second  // a wait's timeout unless `set timeout` or `timeout D` says
	MaxDuration    = 10 * time.Minute // longest sleep or timeout a script may ask for
	MaxLineLen     = 64 << 10         // longest script line, in bytes
)

// Op is what a step does.
type Op int

// The step kinds.
const (
	OpKey       Op = iota // press keys: Keys
	OpType                // type Text
	OpWait                // wait until Text is on the screen, at most Timeout
	OpWaitGone            // wait until Text is gone from the screen, at most Timeout
	OpExpect              // Text is on the screen now
	OpExpectNot           // Text is not on the screen now
	OpSleep               // pause for Duration
	OpResize              // resize the terminal to Cols x Rows
	OpSnapshot            // save the screen as snapshot Name
	OpCompare             // compare the screen with snapshot Name
	OpCustomer            // simulated customer Name does Action
)

var opNames = [...]string{"key", "type", "wait", "wait-gone", "expect", "expect-not",
	"sleep", "resize", "snapshot", "compare", "customer"}

// String returns the command word of the op.
func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return fmt.Sprintf("op(%d)", int(o))
	}
	return opNames[o]
}

// Customer actions of an OpCustomer step.
const (
	CustomerOpen  = "open"
	CustomerSays  = "says"
	CustomerTypes = "types"
	CustomerLeave = "leaves"
)

// Pos is where a step or an error is in a script.
type Pos struct {
	File string
	Line int // 1-based; 0 when the error is about the whole file
	Col  int // 1-based, in characters
}

// String formats the position as file:line:col.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Step is one command of a script.
type Step struct {
	Pos      Pos
	Src      string // the line as written, trimmed
	Op       Op
	Keys     []Key         // OpKey
	Text     string        // OpType, OpWait, OpWaitGone, OpExpect, OpExpectNot; customer says/types
	Timeout  time.Duration // OpWait, OpWaitGone: resolved, never 0
	Duration time.Duration // OpSleep
	Cols     int           // OpResize
	Rows     int           // OpResize
	Name     string        // snapshot name, or customer name
	Action   string        // OpCustomer: CustomerOpen, CustomerSays, CustomerTypes, CustomerLeave
	Queue    string        // OpCustomer open: optional queue
}

// Script is a parsed script.
type Script struct {
	Name  string // file name as given ("-" for standard input)
	Dir   string // directory of the file; snapshots go to Dir/snapshots by default
	Steps []Step
}

// SyntaxError is a mistake in a script: the run exits with code 2. Msg says
// what is wrong and how to fix it.
type SyntaxError struct {
	File string
	Line int
	Col  int
	Msg  string
}

// Error formats the error as file:line:col: msg.
func (e *SyntaxError) Error() string {
	return Pos{File: e.File, Line: e.Line, Col: e.Col}.String() + ": " + e.Msg
}

// ErrTooLong is wrapped by the SyntaxError of a line longer than MaxLineLen.
var ErrTooLong = errors.New("script: line too long")

// Parse reads a script. name is used in error positions and, when it is a
// path, to place snapshots. The first mistake is returned as *SyntaxError.
func Parse(name string, r io.Reader) (*Script, error) {
	s := &Script{Name: name, Dir: "."}
	if name != "-" && name != "" {
		s.Dir = filepath.Dir(name)
	}
	p := parser{file: name, timeout: DefaultTimeout}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineLen)
	for sc.Scan() {
		p.line++
		step, ok, err := p.parseLine(sc.Text())
		if err != nil {
			return nil, err
		}
		if ok {
			s.Steps = append(s.Steps, step)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &SyntaxError{File: name, Line: p.line + 1, Col: 1,
				Msg: fmt.Sprintf("%v: a line may hold at most %d bytes", ErrTooLong, MaxLineLen)}
		}
		return nil, &SyntaxError{File: name, Msg: "cannot read the script: " + err.Error()}
	}
	return s, nil
}

// parser holds the state of one Parse.
type parser struct {
	file    string
	line    int
	timeout time.Duration // current default of `wait`, changed by `set timeout`
}

func (p *parser) errAt(col int, format string, args ...any) *SyntaxError {
	return &SyntaxError{File: p.file, Line: p.line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// parseLine parses one line; ok is false for blank lines, comments and
// settings.
func (p *parser) parseLine(line string) (Step, bool, error) {
	toks, err := splitLine(line)
	if err != nil {
		var le *lexError
		if errors.As(err, &le) {
			return Step{}, false, p.errAt(le.col, "%s", le.msg)
		}
		return Step{}, false, p.errAt(1, "%v", err)
	}
	if len(toks) == 0 {
		return Step{}, false, nil
	}
	cmd := toks[0]
	st := Step{Pos: Pos{File: p.file, Line: p.line, Col: cmd.col}, Src: strings.TrimSpace(line)}
	args := toks[1:]
	switch cmd.text {
	case "set":
		return st, false, p.parseSet(cmd, args)
	case "key":
		err = p.parseKey(&st, cmd, args)
	case "type":
		st.Op = OpType
		err = p.oneText(&st, cmd, args, "the text to type")
		if err == nil {
			if _, terr := typedKeys(st.Text); terr != nil {
				err = p.errAt(args[0].col, "%v", terr)
			}
		}
	case "wait", "wait-gone":
		st.Op = OpWait
		if cmd.text == "wait-gone" {
			st.Op = OpWaitGone
		}
		err = p.parseWait(&st, cmd, args)
	case "expect", "expect-not":
		st.Op = OpExpect
		if cmd.text == "expect-not" {
			st.Op = OpExpectNot
		}
		err = p.oneText(&st, cmd, args, "the text to look for")
	case "sleep":
		st.Op = OpSleep
		err = p.parseSleep(&st, cmd, args)
	case "resize":
		st.Op = OpResize
		err = p.parseResize(&st, cmd, args)
	case "snapshot", "compare":
		st.Op = OpSnapshot
		if cmd.text == "compare" {
			st.Op = OpCompare
		}
		err = p.parseSnapshot(&st, cmd, args)
	case "customer":
		st.Op = OpCustomer
		err = p.parseCustomer(&st, cmd, args)
	default:
		err = p.unknownCommand(cmd)
	}
	if err != nil {
		return Step{}, false, err
	}
	return st, true, nil
}

// commands lists the command words, for hints.
const commands = "key, type, wait, wait-gone, expect, expect-not, sleep, resize, snapshot, compare, customer, set"

func (p *parser) unknownCommand(cmd token) error {
	if cmd.quoted {
		return p.errAt(cmd.col, "a line must start with a command, not a string: commands are %s", commands)
	}
	best, bestD := "", 3
	for _, c := range strings.Split(commands, ", ") {
		if d := editDistance(cmd.text, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" {
		return p.errAt(cmd.col, "unknown command %q: did you mean %q? commands are %s", cmd.text, best, commands)
	}
	return p.errAt(cmd.col, "unknown command %q: commands are %s", cmd.text, commands)
}

// end returns the column just past the last token, for "missing argument"
// errors.
func end(cmd token, args []token) int {
	last := cmd
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	n := len([]rune(last.text))
	if last.quoted {
		n += 2
	}
	return last.col + n + 1
}

func (p *parser) oneText(st *Step, cmd token, args []token, what string) error {
	switch {
	case len(args) == 0:
		return p.errAt(end(cmd, args), "%s needs %s: %s \"text\"", cmd.text, what, cmd.text)
	case len(args) > 1:
		return p.errAt(args[1].col, "%s takes one text: put it in quotes, %s \"several words\"", cmd.text, cmd.text)
	}
	st.Text = args[0].text
	if st.Op != OpType && st.Text == "" {
		return p.errAt(args[0].col, "%s needs a non-empty text: every screen contains \"\"", cmd.text)
	}
	return nil
}

func (p *parser) parseKey(st *Step, cmd token, args []token) error {
	st.Op = OpKey
	if len(args) == 0 {
		return p.errAt(end(cmd, args), "key needs at least one key name: key enter, key ctrl+r, key down down enter")
	}
	for _, a := range args {
		k, err := ParseKey(a.text)
		if err != nil {
			return p.errAt(a.col, "%v", err)
		}
		st.Keys = append(st.Keys, k)
	}
	return nil
}

func (p *parser) duration(tok token, what string) (time.Duration, error) {
	d, err := time.ParseDuration(tok.text)
	if err != nil {
		return 0, p.errAt(tok.col, "bad duration %q for %s: write a number with a unit, like 200ms, 5s or 1m", tok.text, what)
	}
	if d <= 0 {
		return 0, p.errAt(tok.col, "%s must be more than 0, got %q", what, tok.text)
	}
	if d > MaxDuration {
		return 0, p.errAt(tok.col, "%s %q is longer than the limit of %s: scripts must not hang", what, tok.text, MaxDuration)
	}
	return d, nil
}

func (p *parser) parseWait(st *Step, cmd token, args []token) error {
	st.Timeout = p.timeout
	switch len(args) {
	case 0:
		return p.errAt(end(cmd, args), "%s needs the text to wait for: %s \"text\" [timeout 5s]", cmd.text, cmd.text)
	case 1:
	case 3:
		if args[1].text != "timeout" || args[1].quoted {
			return p.errAt(args[1].col, "expected the word timeout after the text: %s \"text\" timeout 5s", cmd.text)
		}
		d, err := p.duration(args[2], "the timeout")
		if err != nil {
			return err
		}
		st.Timeout = d
	case 2:
		if args[1].text == "timeout" {
			return p.errAt(end(cmd, args), "timeout needs a duration: %s \"text\" timeout 5s", cmd.text)
		}
		fallthrough
	default:
		return p.errAt(args[1].col, "%s takes one text and an optional timeout: %s \"several words\" timeout 5s", cmd.text, cmd.text)
	}
	st.Text = args[0].text
	if st.Text == "" {
		return p.errAt(args[0].col, "%s needs a non-empty text", cmd.text)
	}
	return nil
}

func (p *parser) parseSleep(st *Step, cmd token, args []token) error {
	if len(args) != 1 {
		col := end(cmd, args)
		if len(args) > 1 {
			col = args[1].col
		}
		return p.errAt(col, "sleep takes one duration: sleep 200ms")
	}
	d, err := p.duration(args[0], "sleep")
	st.Duration = d
	return err
}

func (p *parser) parseSet(cmd token, args []token) error {
	if len(args) != 2 || args[0].text != "timeout" {
		col := end(cmd, args)
		if len(args) > 0 {
			col = args[0].col
		}
		return p.errAt(col, "set knows one setting: set timeout 3s (the default timeout of wait and wait-gone)")
	}
	d, err := p.duration(args[1], "the timeout")
	if err != nil {
		return err
	}
	p.timeout = d
	return nil
}

// Terminal size limits of resize.
const (
	minCols, minRows = 10, 3
	maxCols, maxRows = 1000, 500
)

func (p *parser) parseResize(st *Step, cmd token, args []token) error {
	if len(args) != 2 {
		col := end(cmd, args)
		if len(args) > 2 {
			col = args[2].col
		}
		return p.errAt(col, "resize takes columns and rows: resize 100 30")
	}
	c, err1 := strconv.Atoi(args[0].text)
	if err1 != nil || c < minCols || c > maxCols {
		return p.errAt(args[0].col, "columns must be a whole number from %d to %d, got %q", minCols, maxCols, args[0].text)
	}
	r, err2 := strconv.Atoi(args[1].text)
	if err2 != nil || r < minRows || r > maxRows {
		return p.errAt(args[1].col, "rows must be a whole number from %d to %d, got %q", minRows, maxRows, args[1].text)
	}
	st.Cols, st.Rows = c, r
	return nil
}

// validName reports whether a snapshot or customer name is safe as a file
// name and as a word: letters, digits, '.', '_' and '-', not starting with '.'.
func validName(s string) bool {
	if s == "" || s[0] == '.' || len(s) > 100 {
		return false
	}
	for _, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
			r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

func (p *parser) parseSnapshot(st *Step, cmd token, args []token) error {
	if len(args) != 1 {
		col := end(cmd, args)
		if len(args) > 1 {
			col = args[1].col
		}
		return p.errAt(col, "%s takes one name: %s chat-open", cmd.text, cmd.text)
	}
	if !validName(args[0].text) {
		return p.errAt(args[0].col, "bad snapshot name %q: use letters, digits, '.', '_' and '-' (it becomes NAME.txt)", args[0].text)
	}
	st.Name = args[0].text
	return nil
}

func (p *parser) parseCustomer(st *Step, cmd token, args []token) error {
	usage := `customer NAME open [queue Q] | customer NAME says "text" | customer NAME types "text" | customer NAME leaves`
	if len(args) < 2 {
		return p.errAt(end(cmd, args), "customer needs a name and an action: %s", usage)
	}
	if !validName(args[0].text) {
		return p.errAt(args[0].col, "bad customer name %q: use letters, digits, '.', '_' and '-'", args[0].text)
	}
	st.Name = args[0].text
	act, rest := args[1], args[2:]
	st.Action = act.text
	switch act.text {
	case CustomerOpen:
		switch {
		case len(rest) == 0:
		case len(rest) == 2 && rest[0].text == "queue" && rest[1].text != "":
			st.Queue = rest[1].text
		default:
			return p.errAt(rest[0].col, "customer open takes an optional queue: customer %s open queue sales", st.Name)
		}
	case CustomerSays, CustomerTypes:
		if len(rest) != 1 {
			col := end(cmd, args)
			if len(rest) > 1 {
				col = rest[1].col
			}
			return p.errAt(col, "customer %s takes one text: customer %s %s \"hello there\"", act.text, st.Name, act.text)
		}
		st.Text = rest[0].text
		if act.text == CustomerSays && st.Text == "" {
			return p.errAt(rest[0].col, "customer says needs a non-empty text")
		}
	case CustomerLeave:
		if len(rest) != 0 {
			return p.errAt(rest[0].col, "customer leaves takes nothing more: customer %s leaves", st.Name)
		}
	default:
		return p.errAt(act.col, "unknown customer action %q: use open, says, types or leaves (%s)", act.text, usage)
	}
	return nil
}

// editDistance is the Levenshtein distance of a and b, for "did you mean".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
