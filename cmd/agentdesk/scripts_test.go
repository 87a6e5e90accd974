package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The project's end-to-end suite: one story per file, run against the
// in-process demo hub on a short-timer config, and the scripts that
// docs/scripting.md shows, on the shipped config.
const (
	suiteDir    = "../../testdata/scripts"
	suiteConfig = "../../testdata/scripts/hub.yaml"
	examplesDir = "../../docs/examples"
)

// runWith runs agentdesk with stdin and returns what it printed.
func runWith(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = (&Main{TUI: noTUI(t)}).Run(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// readEvents decodes an --events file, failing on a line that is not JSON.
func readEvents(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("events log: %v", err)
	}
	defer f.Close()
	var evs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("events log line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// hasEvent reports whether an event has every field of want.
func hasEvent(evs []map[string]any, want map[string]any) bool {
	for _, ev := range evs {
		ok := true
		for k, v := range want {
			if ev[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestScripts runs every script of the end-to-end suite and of the docs
// through Main.Run, as `agentdesk demo --script FILE` does: the real hub,
// the real desktop model, real simulated customers. A failing script fails
// the test with its report (the line, what was expected, the screen). The
// --events log of each run must hold the protocol frames both ways and the
// chat states and recording states (issue 3 point 3).
func TestScripts(t *testing.T) {
	suites := []struct{ dir, config string }{
		{suiteDir, suiteConfig},
		{examplesDir, ""}, // the docs' examples run on the shipped demo config
	}
	n := 0
	for _, s := range suites {
		paths, err := filepath.Glob(filepath.Join(s.dir, "*.script"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no scripts in %s: %v", s.dir, err)
		}
		for _, p := range paths {
			n++
			name := filepath.Base(s.dir) + "/" + filepath.Base(p)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				events := filepath.Join(t.TempDir(), "events.jsonl")
				args := []string{"demo", "--script", p, "--events", events, "--log", ""}
				if s.config != "" {
					args = append(args, "--config", s.config)
				}
				code, out, errOut := runWith(t, "", args...)
				if code != 0 {
					t.Fatalf("exit %d, want 0:\n%s%s", code, out, errOut)
				}
				if !strings.HasPrefix(out, "ok: ") || errOut != "" {
					t.Errorf("stdout %q, stderr %q; want only the ok line", out, errOut)
				}
				evs := readEvents(t, events)
				for _, want := range []map[string]any{
					{"kind": "start"},
					{"kind": "proto", "dir": "in", "type": "welcome"},
					{"kind": "proto", "dir": "out", "type": "ready"},
					{"kind": "link", "state": "connected"},
					{"kind": "key", "key": "y"},
					{"kind": "check", "ok": true},
					{"kind": "end", "ok": true},
				} {
					if !hasEvent(evs, want) {
						t.Errorf("events log lacks %v", want)
					}
				}
				if hasEvent(evs, map[string]any{"kind": "customer", "action": "open"}) &&
					!hasEvent(evs, map[string]any{"kind": "chat_state", "state": "offered"}) {
					t.Error("events log lacks the chat_state of the offer")
				}
				if hasEvent(evs, map[string]any{"kind": "proto", "dir": "in", "type": "recording"}) &&
					!hasEvent(evs, map[string]any{"kind": "recording"}) {
					t.Error("events log lacks the recording events of the recording frames")
				}
			})
		}
	}
	if n < 10 {
		t.Errorf("%d scripts, want the whole suite (every flow of issue 3)", n)
	}
}

// writeScript writes a script file and returns its path.
func writeScript(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScriptExitCodes: 0 pass, 1 a failed check (its line, what was
// expected, the screen), 2 the script is wrong (file:line:col) — issue 3
// point 1 and "Bad input", through Main.Run.
func TestScriptExitCodes(t *testing.T) {
	pass := writeScript(t, "pass.script", "wait \"● Connected\"\nexpect \"Not ready\"\n")
	fail := writeScript(t, "fail.script", "wait \"Ada Lovelace\"\n# nothing here says this:\nexpect \"Grace Hopper\"\n")
	unknown := writeScript(t, "bad.script", "wait \"● Connected\"\n  wiat \"x\"\n")
	badKey := writeScript(t, "key.script", "key ctrl+shift+q\n")
	missing := filepath.Join(t.TempDir(), "nope.script")
	logPath := filepath.Join(t.TempDir(), "demo.log")
	tests := []struct {
		name        string
		stdin       string
		args        []string
		code        int
		out, errOut []string // substrings
	}{
		{"pass", "", []string{"demo", "--script", pass, "--log", ""}, 0, []string{"ok: 2 steps, 2 checks passed"}, nil},
		{"stdin", "wait \"● Connected\"\nkey y\nwait \"Ada Lovelace  Ready\"\n", []string{"demo", "--script", "-", "--log", ""}, 0,
			[]string{"ok: 3 steps, 2 checks passed"}, nil},
		{"failed check", "", []string{"demo", "--script", fail, "--log", ""}, 1, nil,
			[]string{fail + ":3: check failed: expect \"Grace Hopper\"", "expected \"Grace Hopper\" on the screen", "screen (100x30):", "| agentdesk │ Ada Lovelace  Not ready"}},
		{"failed check in stdin", "expect \"nothing like this\"\n", []string{"demo", "--script", "-", "--log", ""}, 1, nil,
			[]string{"-:1: check failed"}},
		{"unknown command", "", []string{"demo", "--script", unknown, "--log", logPath}, 2, nil,
			[]string{unknown + ":2:3: unknown command \"wiat\": did you mean \"wait\"?"}},
		{"unknown key", "", []string{"demo", "--script", badKey, "--log", ""}, 2, nil, []string{badKey + ":1:5: unknown key \"ctrl+shift+q\""}},
		{"missing file", "", []string{"demo", "--script", missing, "--log", ""}, 2, nil, []string{missing + ": no such script file"}},
		{"unterminated quote from stdin", "type \"hello\n", []string{"demo", "--script", "-", "--log", ""}, 2, nil, []string{"-:1:6: unterminated string"}},
		{"bad size", "", []string{"demo", "--script", pass, "--size", "wide"}, 2, nil, []string{"--size \"wide\": write columns x rows"}},
		{"tiny size", "", []string{"demo", "--script", pass, "--size", "5x2"}, 2, nil, []string{"columns must be 10 to 1000"}},
		{"events without script", "", []string{"demo", "--events", "x.jsonl", "--log", ""}, 2, nil, []string{"--events only go with --script FILE"}},
		{"update without script", "", []string{"--update", "--hub", "http://127.0.0.1:1", "--token", "t"}, 2, nil, []string{"--update only go with --script FILE"}},
		{"events file cannot be created", "", []string{"demo", "--script", pass, "--events", filepath.Join(missing, "e.jsonl"), "--log", ""}, 2, nil,
			[]string{"--events: script: events log:"}},
		{"bad hub config", "", []string{"demo", "--script", pass, "--config", pass, "--log", ""}, 2, nil, []string{"agentdesk demo: --config " + pass + ": line 1: the file wants keys (key: value lines), not \"wait"}},
		{"missing hub config", "", []string{"demo", "--script", pass, "--config", missing, "--log", ""}, 2, nil, []string{"--config: open"}},
		{"desk script without hub", "", []string{"--script", pass}, 2, nil, []string{"Give --hub and --token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runWith(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, s := range tt.out {
				if !strings.Contains(out, s) {
					t.Errorf("stdout %q lacks %q", out, s)
				}
			}
			for _, s := range tt.errOut {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
	// A broken script exits before anything starts: no hub, so no log.
	if _, err := os.Stat(logPath); !os.IsNotExist(err) {
		t.Errorf("the demo log exists after a broken script (%v): the hub started", err)
	}
}

// TestScriptAgainstHub: `agentdesk --script FILE --hub URL --token TOKEN`
// drives the desktop against a hub it did not start; customer and hub steps
// and api steps are demo-only and exit 2 there; --size sets the screen.
func TestScriptAgainstHub(t *testing.T) {
	srv := startShippedHub(t, nil, false)

	pass := writeScript(t, "desk.script", "wait \"● Connected\"\nkey y\nwait \"Ada Lovelace  Ready\"\n")
	events := filepath.Join(t.TempDir(), "events.jsonl")
	code, out, errOut := runWith(t, "", "--script", pass, "--hub", srv.URL, "--token", "demo-token-ada", "--events", events, "--size", "80x24")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	evs := readEvents(t, events)
	if !hasEvent(evs, map[string]any{"kind": "start", "cols": 80.0, "rows": 24.0}) {
		t.Error("the run did not start at --size 80x24")
	}
	if !hasEvent(evs, map[string]any{"kind": "proto", "dir": "in", "type": "agent"}) {
		t.Error("events log lacks the hub's answer to ready")
	}

	for _, step := range []string{"customer zoe open", "hub down", "api start"} {
		bad := writeScript(t, "demo-only.script", "wait \"● Connected\"\n"+step+"\n")
		code, _, errOut = runWith(t, "", "--script", bad, "--hub", srv.URL, "--token", "demo-token-ada")
		if code != 2 || !strings.Contains(errOut, bad+":2:1: ") || !strings.Contains(errOut, "agentdesk demo --script") {
			t.Errorf("%s outside demo: exit %d, stderr %q; want 2 at :2:1 pointing to demo mode", step, code, errOut)
		}
	}

	wrong := writeScript(t, "token.script", "wait \"● Connected\" timeout 1s\n")
	code, _, errOut = runWith(t, "", "--script", wrong, "--hub", srv.URL, "--token", "no-such-token")
	if code != 1 || !strings.Contains(errOut, "Refused") {
		t.Errorf("a refused token: exit %d, stderr %q; want 1 and the screen saying Refused", code, errOut)
	}
}

// TestScriptDemoLog: without --log, each script run of the demo logs to a
// file of its own (runs side by side never share one), removed when the
// run passes and named on stderr when it fails.
func TestScriptDemoLog(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	pass := writeScript(t, "pass.script", "wait \"● Connected\"\n")
	fail := writeScript(t, "fail.script", "wait \"● Connected\"\nexpect \"Grace Hopper\"\n")

	code, out, errOut := runWith(t, "", "demo", "--script", pass)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "agentdesk-demo*")); len(left) != 0 {
		t.Errorf("a passed run left its log: %v", left)
	}

	var logs []string
	for range 2 {
		code, _, errOut = runWith(t, "", "demo", "--script", fail)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		_, path, ok := strings.Cut(lines[len(lines)-1], "the demo's log is in ")
		if code != 1 || !ok {
			t.Fatalf("a failed run: exit %d, stderr %q; want 1 and the log's path last", code, errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), "demo hub listening") {
			t.Errorf("the named log %s: %v, %q; want the hub's log", path, err, b)
		}
		logs = append(logs, path)
	}
	if logs[0] == logs[1] || filepath.Dir(logs[0]) != tmp {
		t.Errorf("logs %v: want two files of their own in %s", logs, tmp)
	}
}
