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
	OpKey        Op = iota // press keys: Keys
	OpType                 // type Text
	OpWait                 // wait until Text is on the screen, at most Timeout
	OpWaitGone             // wait until Text is gone from the screen, at most Timeout
	OpExpect               // Text is on the screen now
	OpExpectNot            // Text is not on the screen now
	OpSleep                // pause for Duration
	OpResize               // resize the terminal to Cols x Rows
	OpSnapshot             // save the screen as snapshot Name
	OpCompare              // compare the screen with snapshot Name
	OpCustomer             // simulated customer Name does Action
	OpHub                  // demo mode: cut (HubDown) or restore (HubUp) the network to the hub
	OpAPI                  // demo mode: call the hub's recording API (R-G3)
	OpAgent                // demo mode: another agent Name does Action (issue 14)
	OpSupervisor           // demo mode: supervisor Name does Action (R-C8, issue 14)
)

var opNames = [...]string{"key", "type", "wait", "wait-gone", "expect", "expect-not",
	"sleep", "resize", "snapshot", "compare", "customer", "hub", "api", "agent", "supervisor"}

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

// Hub actions of an OpHub step.
const (
	HubDown = "down" // cut the network between the desktop and the hub
	HubUp   = "up"   // restore it
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
	Name     string        // snapshot name, or customer name (OpCustomer; OpAPI: the customer whose chat it acts on)
	Action   string        // OpCustomer: CustomerOpen, CustomerSays, CustomerTypes, CustomerLeave; OpHub: HubDown, HubUp; OpAPI: the operation as written
	Queue    string        // OpCustomer open: optional queue; OpAgent transfers/conferences/consults: the queue invited
	Customer string        // OpSupervisor monitors: the customer whose chat is watched

	// OpAPI only: what the recording API is asked (all optional).
	Chat       string // the interaction id (OpSupervisor monitors too); "" means the customer's (Name) or the selected chat
	RecID      string // the recording id
	Record     string // "source" or "destination"
	Partitions string // comma list
	ExpectCode string // the error code the call must fail with; "" means it must succeed
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
	case "hub":
		st.Op = OpHub
		err = p.parseHub(&st, cmd, args)
	case "api":
		st.Op = OpAPI
		err = p.parseAPI(&st, cmd, args)
	case "agent":
		st.Op = OpAgent
		st.Timeout = p.timeout
		err = p.parseAgent(&st, cmd, args)
	case "supervisor":
		st.Op = OpSupervisor
		st.Timeout = p.timeout
		err = p.parseSupervisor(&st, cmd, args)
	default:
		err = p.unknownCommand(cmd)
	}
	if err != nil {
		return Step{}, false, err
	}
	return st, true, nil
}

// commands lists the command words, for hints.
const commands = "key, type, wait, wait-gone, expect, expect-not, sleep, resize, snapshot, compare, customer, hub, api, agent, supervisor, set"

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
