package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlagsAndConfigErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("timers:\n  acw: forever\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An operator's copy of the shipped file with the agents' tokens
	// changed but the supervisor's left as it was.
	raw, err := os.ReadFile("../../configs/chathub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mine := strings.NewReplacer("demo-token-ada", "6d1f0c8e9a2b4c7d", "demo-token-grace", "a0b9c8d7e6f5a4b3",
		"demo-token-alan", "11d2e3f4a5b6c7d8", "demo-token-flow", "f00dfeedc0ffee99").Replace(string(raw))
	demoCopy := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(demoCopy, []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		out  string // in stdout+stderr
	}{
		{"help", []string{"--help"}, 0, "Usage:"},
		{"version flag", []string{"--version"}, 0, "chathub " + Version},
		{"version command", []string{"version"}, 0, "chathub " + Version},
		{"short help", []string{"-h"}, 0, "--config FILE"},
		{"unknown flag", []string{"--port", "9"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"serve"}, 2, `unexpected argument "serve"`},
		{"missing config", []string{"--config", bad + ".nope"}, 2, "no such file"},
		{"bad config names file and key", []string{"--config", bad}, 2, "timers.acw"},
		{"bad listen", []string{"--demo", "--listen", "256.1.1.1:99999"}, 1, "listen"},
		{"bad store", []string{"--demo", "--listen", "127.0.0.1:0", "--store", bad}, 1, "store"},
		{"bad log format", []string{"--demo", "--log-format", "xml"}, 2, `--log-format: "xml" is not text or json`},
		{"bad log level", []string{"--demo", "--log-level", "loud"}, 2, `--log-level: "loud"`},
		{"no config without --demo", []string{"--listen", "127.0.0.1:0"}, 2, "no --config given"},
		{"published demo tokens without --demo", []string{"--config", "../../configs/chathub.yaml"}, 2,
			"published demo tokens in agents[0].token (ada), agents[1].token (grace)"},
		{"a copy with a demo token", []string{"--config", demoCopy}, 2, "published demo tokens in recording.api_tokens[0].token (sue), users[0].password (ada), users[3].password (sue)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code || !strings.Contains(all, tc.out) {
				t.Fatalf("code %d, output %q; want %d with %q", code, all, tc.code, tc.out)
			}
			if tc.name == "bad config names file and key" && !strings.Contains(all, bad) {
				t.Fatalf("error does not name the file: %q", all)
			}
		})
	}
}

func TestServesAndShutsDownOnSignal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	pr, pw := io.Pipe()
	storeDir := t.TempDir()
	go func() {
		done <- run(ctx, []string{"--demo", "--listen", addr, "--store", storeDir}, io.Discard, pw)
		pw.Close()
	}()
	// Wait for the "listening" log line instead of polling.
	buf := make([]byte, 4096)
	var logs strings.Builder
	for !strings.Contains(logs.String(), "chathub listening") {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("no listening line: %q %v", logs.String(), err)
		}
		logs.Write(buf[:n])
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"agents_online":0`) {
		t.Fatalf("healthz %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"store":"ok"`) || !strings.Contains(string(body), `"files":"ok"`) {
		t.Fatalf("readyz %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="transcript"`) {
		t.Fatal("page not served")
	}
	cancel() // what SIGINT does through signal.NotifyContext
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
}

// TestJSONLogs: --log-format json writes one JSON object per line, the
// fields a log collector indexes included.
func TestJSONLogs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--demo", "--listen", "127.0.0.1:0", "--store", t.TempDir(), "--log-format", "json"}, io.Discard, pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var listening map[string]any
	for listening == nil && sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		if rec["msg"] == "chathub listening" {
			listening = rec
		}
	}
	if listening == nil || listening["level"] != "INFO" || listening["time"] == nil {
		t.Fatalf("listening record: %v", listening)
	}
	go io.Copy(io.Discard, pr)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}
