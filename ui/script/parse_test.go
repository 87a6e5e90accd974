package script

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Parse("t.script", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestParseSteps(t *testing.T) {
	src := `# a whole story
set timeout 3s
customer alice open queue sales
wait "Alerting"            # uses the 3s default
key ctrl+r enter
type "hello \"you\"\n"
wait-gone "Alerting" timeout 1m
expect Connected
expect-not "Wrap-up"
sleep 200ms
resize 80 24
snapshot chat.open
compare chat.open
customer alice says "is anyone there?"
customer alice types ""
customer alice leaves
key "#" Q f12 shift+tab alt+x
`
	s := mustParse(t, src)
	want := []struct {
		op   Op
		line int
		text string
	}{
		{OpCustomer, 3, ""}, {OpWait, 4, "Alerting"}, {OpKey, 5, ""}, {OpType, 6, "hello \"you\"\n"},
		{OpWaitGone, 7, "Alerting"}, {OpExpect, 8, "Connected"}, {OpExpectNot, 9, "Wrap-up"},
		{OpSleep, 10, ""}, {OpResize, 11, ""}, {OpSnapshot, 12, ""}, {OpCompare, 13, ""},
		{OpCustomer, 14, "is anyone there?"}, {OpCustomer, 15, ""}, {OpCustomer, 16, ""}, {OpKey, 17, ""},
	}
	if len(s.Steps) != len(want) {
		t.Fatalf("got %d steps, want %d: %+v", len(s.Steps), len(want), s.Steps)
	}
	for i, w := range want {
		st := s.Steps[i]
		if st.Op != w.op || st.Pos.Line != w.line || st.Text != w.text || st.Pos.Col != 1 {
			t.Errorf("step %d = %v line %d col %d text %q; want %v line %d text %q",
				i, st.Op, st.Pos.Line, st.Pos.Col, st.Text, w.op, w.line, w.text)
		}
	}
	if got := s.Steps[1].Timeout; got != 3*time.Second {
		t.Errorf("wait timeout after set timeout 3s = %v", got)
	}
	if got := s.Steps[4].Timeout; got != time.Minute {
		t.Errorf("wait-gone timeout = %v, want 1m", got)
	}
	if st := s.Steps[0]; st.Name != "alice" || st.Action != CustomerOpen || st.Queue != "sales" {
		t.Errorf("customer open = %+v", st)
	}
	if st := s.Steps[8]; st.Cols != 80 || st.Rows != 24 {
		t.Errorf("resize = %dx%d", st.Cols, st.Rows)
	}
	if st := s.Steps[7]; st.Duration != 200*time.Millisecond {
		t.Errorf("sleep = %v", st.Duration)
	}
	keys := s.Steps[2].Keys
	if len(keys) != 2 || keys[0].Bytes != "\x12" || keys[1].Bytes != "\r" {
		t.Errorf("key ctrl+r enter = %+v", keys)
	}
	keys = s.Steps[14].Keys
	wantBytes := []string{"#", "Q", "\x1b[24~", "\x1b[Z", "\x1bx"}
	for i, k := range keys {
		if k.Bytes != wantBytes[i] {
			t.Errorf("key %q bytes %q, want %q", k.Name, k.Bytes, wantBytes[i])
		}
	}
}

func TestParseDefaultTimeout(t *testing.T) {
	s := mustParse(t, "wait x\n")
	if s.Steps[0].Timeout != DefaultTimeout || DefaultTimeout != 5*time.Second {
		t.Errorf("default wait timeout = %v, want the documented 5s", s.Steps[0].Timeout)
	}
}

func TestParseKeyBytes(t *testing.T) {
	cases := map[string]string{
		"enter": "\r", "tab": "\t", "shift+tab": "\x1b[Z", "esc": "\x1b", "backspace": "\x7f",
		"delete": "\x1b[3~", "space": " ", "up": "\x1b[A", "down": "\x1b[B", "right": "\x1b[C",
		"left": "\x1b[D", "home": "\x1b[H", "end": "\x1b[F", "pgup": "\x1b[5~", "pgdown": "\x1b[6~",
		"f1": "\x1bOP", "f4": "\x1bOS", "f5": "\x1b[15~", "f11": "\x1b[23~", "ctrl+a": "\x01",
		"ctrl+z": "\x1a", "Ctrl+R": "\x12", "alt+b": "\x1bb", "alt+7": "\x1b7", "é": "é", "?": "?",
	}
	for name, want := range cases {
		k, err := ParseKey(name)
		if err != nil || k.Bytes != want {
			t.Errorf("ParseKey(%q) = %q, %v; want %q", name, k.Bytes, err, want)
		}
	}
}

// TestParseErrors proves the tester's mistakes of issue 3 each get a
// file:line:col and a message that says how to fix them.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		pos  string // file:line:col
		msg  string // part of the message
	}{
		{"unknown command", "\n  wiat \"x\"", "t.script:2:3", `unknown command "wiat": did you mean "wait"?`},
		{"unknown command far", "frobnicate", "t.script:1:1", "commands are key, type"},
		{"string as command", `"hello"`, "t.script:1:1", "must start with a command"},
		{"unterminated quote", `type "hello`, "t.script:1:6", `unterminated string: add the closing "`},
		{"unknown escape", `type "a\qb"`, "t.script:1:8", `unknown escape \q`},
		{"backslash at end", `type "a\`, "t.script:1:8", `a \ at the end`},
		{"quote in word", `type ab"c"`, "t.script:1:8", "a quote inside a word"},
		{"text after quote", `wait "a"b`, "t.script:1:9", "put a space after it"},
		{"bad duration", "sleep 5", "t.script:1:7", `bad duration "5" for sleep: write a number with a unit`},
		{"bad wait timeout", `wait "x" timeout soon`, "t.script:1:18", `bad duration "soon"`},
		{"zero duration", "sleep 0s", "t.script:1:7", "more than 0"},
		{"huge duration", "sleep 2h", "t.script:1:7", "longer than the limit of 10m0s"},
		{"timeout without value", `wait "x" timeout`, "t.script:1:18", "timeout needs a duration"},
		{"wait extra word", `wait "x" for 5s`, "t.script:1:10", "expected the word timeout"},
		{"wait two words", `wait hello world`, "t.script:1:12", "optional timeout"},
		{"wait nothing", `wait`, "t.script:1:6", "needs the text"},
		{"wait empty", `wait ""`, "t.script:1:6", "non-empty"},
		{"unknown key", "key enter ctrl+shift+q", "t.script:1:11", `unknown key "ctrl+shift+q": known keys are enter, tab`},
		{"ctrl+i", "key ctrl+i", "t.script:1:5", "write `key tab`"},
		{"alt bracket", "key alt+[", "t.script:1:5", `unknown key "alt+["`},
		{"f13", "key f13", "t.script:1:5", `unknown key "f13"`},
		{"key nothing", "key", "t.script:1:5", "at least one key name"},
		{"type two words", "type hello world", "t.script:1:12", "put it in quotes"},
		{"type control", `type "a\tb"`, "", ""}, // tab is allowed: no error (checked below)
		{"expect nothing", "expect", "t.script:1:8", "needs the text to look for"},
		{"resize one arg", "resize 80", "t.script:1:11", "resize 100 30"},
		{"resize bad cols", "resize wide 30", "t.script:1:8", `columns must be a whole number from 10 to 1000, got "wide"`},
		{"resize bad rows", "resize 80 1", "t.script:1:11", "rows must be a whole number from 3 to 500"},
		{"snapshot no name", "snapshot", "t.script:1:10", "takes one name"},
		{"snapshot bad name", "snapshot ../etc", "t.script:1:10", `bad snapshot name "../etc"`},
		{"compare two names", "compare a b", "t.script:1:11", "takes one name"},
		{"customer no action", "customer bob", "t.script:1:14", "needs a name and an action"},
		{"customer bad action", "customer bob say hi", "t.script:1:14", `unknown customer action "say": use open, says, types or leaves`},
		{"customer says nothing", "customer bob says", "t.script:1:19", "takes one text"},
		{"customer says empty", `customer bob says ""`, "t.script:1:19", "non-empty"},
		{"customer leaves extra", "customer bob leaves now", "t.script:1:21", "takes nothing more"},
		{"customer open junk", "customer bob open sales", "t.script:1:19", "optional queue"},
		{"customer bad name", "customer b/b open", "t.script:1:10", `bad customer name "b/b"`},
		{"set unknown", "set speed 3", "t.script:1:5", "set knows one setting"},
		{"set bad timeout", "set timeout x", "t.script:1:13", `bad duration "x"`},
		{"bad utf8", "type \"\xff\"", "t.script:1:1", "not valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.script", strings.NewReader(c.src))
			if c.pos == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want *SyntaxError, got %v", err)
			}
			if !strings.HasPrefix(se.Error(), c.pos+": ") || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("got  %q\nwant %s: …%s…", se.Error(), c.pos, c.msg)
			}
			if ExitCode(nil, err) != ExitBadScript {
				t.Errorf("ExitCode = %d, want 2", ExitCode(nil, err))
			}
		})
	}
}

func TestParseLongLine(t *testing.T) {
	src := "expect x\nexpect \"" + strings.Repeat("a", MaxLineLen+10) + "\"\n"
	_, err := Parse("t.script", strings.NewReader(src))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(se.Msg, "at most") {
		t.Fatalf("got %v, want a SyntaxError at line 2 about the line length", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(t.TempDir()+"/nope.script", nil)
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "nope.script: no such script file") {
		t.Fatalf("got %v", err)
	}
	if ExitCode(nil, err) != ExitBadScript {
		t.Errorf("exit code %d, want 2", ExitCode(nil, err))
	}
}

func TestLoadStdin(t *testing.T) {
	s, err := Load("-", strings.NewReader("expect hi\n"))
	if err != nil || len(s.Steps) != 1 || s.Steps[0].Pos.File != "-" || s.Dir != "." {
		t.Fatalf("Load(-) = %+v, %v", s, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"key ctrl+r enter\n", `type "a\"b\n"`, `wait "x" timeout 1s`, "customer a open queue q",
		"resize 80 24", "# c\n\n set timeout 2s", `"`, `type "\`, "key alt+", "sleep -1s",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("f", strings.NewReader(src))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Msg == "" {
				t.Fatalf("error is not a *SyntaxError with a message: %v", err)
			}
			return
		}
		for _, st := range s.Steps {
			if st.Pos.Line < 1 || st.Pos.Col < 1 {
				t.Fatalf("step without position: %+v", st)
			}
			if (st.Op == OpWait || st.Op == OpWaitGone) && st.Timeout <= 0 {
				t.Fatalf("wait without timeout: %+v", st)
			}
		}
	})
}
