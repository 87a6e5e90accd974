package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui"
)

// noTUI fails the test if the desktop would start.
func noTUI(t *testing.T) TUIFunc {
	return func(context.Context, ui.Options, io.Reader, io.Writer) error {
		t.Error("the desktop started, want it not to")
		return nil
	}
}

func run(t *testing.T, m *Main, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = m.Run(t.Context(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunUsage(t *testing.T) {
	env := func(string) string { return "" }
	tests := []struct {
		name        string
		args        []string
		code        int
		out, errOut string // substrings expected on stdout / stderr
	}{
		{"help flag", []string{"--help"}, 0, "  agentdesk [--hub URL]", ""},
		// issue 11 point 16: --help names every command; --version and
		// version print the version and exit 0
		{"help: doctor", []string{"--help"}, 0, "agentdesk doctor [--display :N]", ""},
		{"help: version", []string{"--help"}, 0, "agentdesk version, agentdesk --version", ""},
		{"help: token refused", []string{"--help"}, 0, "A token the hub refuses ends the desktop with exit code 1", ""},
		{"help command: flags", []string{"help"}, 0, "-recipient key", ""},
		{"version flag", []string{"--version"}, 0, "agentdesk " + Version + "\n", ""},
		{"version single dash", []string{"-version"}, 0, "agentdesk " + Version + "\n", ""},
		{"bad flag: short", []string{"--bogus"}, 2, "", "Run 'agentdesk --help' for the flags."},
		{"short help", []string{"-h"}, 0, "--token", ""},
		{"help command", []string{"help"}, 0, "agentdesk demo [--listen ADDR]", ""},
		{"demo help", []string{"demo", "--help"}, 0, "--customers", ""},
		{"demo help: script", []string{"demo", "--help"}, 0, "-script FILE", ""},
		{"demo help: hub config", []string{"demo", "--help"}, 0, "-config FILE", ""},
		{"demo help: not ready", []string{"demo", "--help"}, 0, "-not-ready", ""},
		{"help: script", []string{"--help"}, 0, "-script FILE", ""},
		{"help: events", []string{"--help"}, 0, "-events FILE", ""},
		{"help: snapshots", []string{"--help"}, 0, "-snapshots DIR", ""},
		{"help: update", []string{"--help"}, 0, "-update", ""},
		{"help: size", []string{"--help"}, 0, "-size COLSxROWS", ""},
		{"help command: script", []string{"help"}, 0, "agentdesk [demo] --script FILE", ""},
		{"version help", []string{"version", "--help"}, 0, "Usage: agentdesk version", ""},
		{"version", []string{"version"}, 0, "agentdesk " + Version, ""},
		{"bad flag", []string{"--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{"bad demo flag", []string{"demo", "--customers", "many"}, 2, "", "invalid value \"many\""},
		{"negative customers", []string{"demo", "--customers", "-1"}, 2, "", "--customers must be 0 or more"},
		{"stray argument", []string{"version", "now"}, 2, "", "unexpected argument \"now\""},
		{"unknown command", []string{"frobnicate"}, 2, "", "unknown command \"frobnicate\""},
		{"no hub", nil, 2, "", "Give --hub and --token"},
		{"no token", []string{"--hub", "http://127.0.0.1:1"}, 2, "", "Give --hub and --token"},
		{"missing config file", []string{"--config", "/nonexistent/agentdesk.yaml"}, 2, "", "no such file"},
		{"unknown demo agent", []string{"demo", "--agent", "zed", "--log", ""}, 2, "", "choose one of ada, grace, alan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, &Main{Getenv: env, TUI: noTUI(t)}, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("stdout %q lacks %q", out, tt.out)
			}
			if !strings.Contains(errOut, tt.errOut) {
				t.Errorf("stderr %q lacks %q", errOut, tt.errOut)
			}
			if tt.code == 0 && errOut != "" {
				t.Errorf("stderr %q, want nothing on success", errOut)
			}
		})
	}
}

func TestResolveHubAndToken(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "agentdesk.yaml")
	os.WriteFile(good, []byte("hub: http://file:1\ntoken: file-token\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("hub: http://file:1\ntokn: typo\n"), 0o600)
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o600)

	tests := []struct {
		name                  string
		flagHub, flagTok, cfg string
		env                   map[string]string
		hub, tok              string
		err                   string
	}{
		{"flags", "http://flag:1", "flag-token", "", nil, "http://flag:1", "flag-token", ""},
		{"env", "", "", "", map[string]string{"AGENTDESK_HUB": "http://env:1", "AGENTDESK_TOKEN": "env-token"}, "http://env:1", "env-token", ""},
		{"file", "", "", good, nil, "http://file:1", "file-token", ""},
		{"flags win over env and file", "http://flag:1", "", good, map[string]string{"AGENTDESK_TOKEN": "env-token"}, "http://flag:1", "env-token", ""},
		{"env wins over file", "", "", good, map[string]string{"AGENTDESK_HUB": "http://env:1"}, "http://env:1", "file-token", ""},
		{"unknown key in file", "", "", bad, nil, "", "", "tokn"},
		{"empty file, nothing else", "", "", empty, nil, "", "", errNoHub.Error()},
		{"nothing at all", "", "", "", nil, "", "", errNoHub.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Main{Getenv: func(k string) string { return tt.env[k] }}
			hub, tok, _, err := m.resolve(tt.flagHub, tt.flagTok, tt.cfg)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.err)
				}
				return
			}
			if err != nil || hub != tt.hub || tok != tt.tok {
				t.Errorf("resolve = %q, %q, %v; want %q, %q", hub, tok, err, tt.hub, tt.tok)
			}
		})
	}
}

// TestDemoCommand runs `agentdesk demo` with the desktop replaced by a
// stand-in that plays the agent: it waits for the link, goes ready and
// takes the first simulated customer's offer.
func TestDemoCommand(t *testing.T) {
	var banner string
	var offered session.ChatData
	tui := func(ctx context.Context, o ui.Options, _ io.Reader, _ io.Writer) error {
		banner = o.Banner
		for ev := range o.Hub.Events() {
			switch {
			case ev.Status != nil && ev.Status.State == session.LinkUp:
				e, _ := session.NewEnvelope(session.TypeReady, "", session.ReadyData{Ready: true})
				if err := o.Hub.Send(ctx, e); err != nil {
					return err
				}
			case ev.Envelope != nil && ev.Envelope.Type == session.TypeOffer:
				return ev.Envelope.Decode(&offered)
			}
		}
		return errors.New("events closed before an offer")
	}
	logPath := filepath.Join(t.TempDir(), "demo.log")
	code, out, errOut := run(t, &Main{TUI: tui}, "demo", "--customers", "1", "--speed", "50", "--log", logPath)
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut)
	}
	if offered.Customer != "Bob Smith" || offered.State != session.Offered {
		t.Errorf("offer = %+v, want Bob Smith alerting", offered)
	}
	if !strings.HasPrefix(banner, "Customer web chat: http://127.0.0.1:") || !strings.HasSuffix(banner, "/") {
		t.Errorf("banner = %q", banner)
	}
	if n := strings.Count(out, banner); n != 2 {
		t.Errorf("stdout %q: the customer page address printed %d times, want before and after the desktop", out, n)
	}
	page := strings.TrimPrefix(banner, "Customer web chat: ")
	client := http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(page); err == nil {
		resp.Body.Close()
		t.Errorf("the hub still answers at %s after the demo ended", page)
	}
	if b, err := os.ReadFile(logPath); err != nil || !bytes.Contains(b, []byte("demo hub listening")) {
		t.Errorf("log file: %v, %q", err, b)
	}
}

func TestDemoCannotListen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut := run(t, &Main{TUI: noTUI(t)}, "demo", "--listen", ln.Addr().String(), "--log", "")
	if code != 1 || !strings.Contains(errOut, "cannot listen on "+ln.Addr().String()) {
		t.Errorf("exit %d, stderr %q; want 1 and the reason", code, errOut)
	}
}

// Issue 11 point 15: each demo run logs to a file of its own, named
// before and after the desktop; a second demo never truncates the first
// one's log.
func TestDemoLogPerRun(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	quit := func(context.Context, ui.Options, io.Reader, io.Writer) error { return nil }
	logOf := func(out string) string {
		t.Helper()
		_, rest, ok := strings.Cut(out, ", log in ")
		path, _, _ := strings.Cut(rest, "\n")
		if !ok || path == "" {
			t.Fatalf("stdout %q names no log file", out)
		}
		return path
	}
	var logs []string
	for range 2 {
		code, out, errOut := run(t, &Main{TUI: quit}, "demo", "--customers", "0")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		logs = append(logs, logOf(out))
	}
	if logs[0] == logs[1] {
		t.Fatalf("both demos logged to %s", logs[0])
	}
	for _, p := range logs {
		if b, err := os.ReadFile(p); err != nil || !bytes.Contains(b, []byte("demo hub listening")) {
			t.Errorf("log %s: %v, %q", p, err, b)
		}
	}
}

// Issue 11 point 17: config errors say the key and the line in the
// file's words, never a Go type name, and the demo says a bad hub config
// before it asks for a terminal (stdin here is no terminal).
func TestConfigErrorsInWords(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"desk: unknown key", []string{"--config", write("typo.yaml", "hub: http://x:1\ntokn: y\n")}, "line 2: unknown key tokn (the file has the keys hub, token, bell and recordings_dir)"},
		{"desk: a map for the hub", []string{"--config", write("map.yaml", "hub: {a: 1}\n")}, "line 1: hub wants a single value (text), not a set of keys"},
		{"desk: bell not a bool", []string{"--config", write("bell.yaml", "bell: loud\n")}, `line 1: bell wants true or false, not "loud"`},
		{"demo: word for a number", []string{"demo", "--log", "", "--config", write("hub.yaml", strings.Replace(string(configs.ChatHub), "capacity: 3", "capacity: three", 1))},
			`line 39: agents[0].capacity wants a whole number, e.g. 3, not "three"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := (&Main{Getenv: func(string) string { return "" }}).Run(t.Context(), tt.args, null, &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tt.want)
			}
			for _, bad := range []string{"main.", "fileConfig", "unmarshal", "terminal"} {
				if strings.Contains(errb.String(), bad) {
					t.Errorf("stderr %q says %q", errb.String(), bad)
				}
			}
		})
	}
}

// Issue 11 point 10: the offer bell is on unless --bell=false or the
// config file's bell: false says otherwise; the flag wins over the file.
func TestBellSetting(t *testing.T) {
	off, on := false, true
	for _, tc := range []struct {
		args []string
		file *bool
		want bool
	}{
		{nil, nil, true},
		{nil, &off, false},
		{[]string{"--bell=false"}, nil, false},
		{[]string{"--bell"}, &off, true},
		{[]string{"--bell=false"}, &on, false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		bell := bellFlag(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := bellOn(fs, *bell, fileConfig{Bell: tc.file}); got != tc.want {
			t.Errorf("args %v, file %v: bell %v, want %v", tc.args, tc.file, got, tc.want)
		}
	}
}
