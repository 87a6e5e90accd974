package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/auth"
)

// TestUserCommands: chathub user keeps the users file IT pushes (issue 12
// point 1): argon2id hashes, never a password on the command line, a token
// shown once and kept as its SHA-256, every mistake a clear exit 2.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.yaml")
	do := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runUser(append(args, "--users", users), strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	steps := []struct {
		stdin string
		args  []string
		code  int
		want  string // in stdout+stderr
	}{
		{"", []string{"team", "centre"}, 0, "team centre"},
		{"", []string{"team", "north", "--parent", "centre"}, 0, "team north"},
		{"", []string{"team", "south", "--parent", "nowhere"}, 2, `teams[2].parent: no team "nowhere" (if the hub's config declares it, give --config FILE)`},
		{"", []string{"remove", "south"}, 2, `no user "south"`},
		{"sue's long password\n", []string{"add", "sue", "--role", "supervisor", "--team", "north", "--name", "Sue Smith"}, 0, "add sue"},
		{"sue's long password\n", []string{"add", "sue", "--role", "supervisor"}, 2, "exists"},
		{"a good long password\n", []string{"add", "boss", "--role", "emperor"}, 2, "--role: want one of agent, quality, supervisor, compliance, admin"},
		{"", []string{"add", "eve", "--role", "admin", "--password", "hunter2hunter2"}, 2, "no password on the command line"},
		{"short\n", []string{"passwd", "sue"}, 2, "at least 10 characters"},
		{"", []string{"passwd", "sue"}, 2, "no password on standard input"},
		{"another long password\n", []string{"passwd", "nobody"}, 2, `no user "nobody"`},
		{"", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"", []string{"add"}, 2, "want one user id"},
		{"", []string{"token", "sue", "nightly"}, 0, auth.TokenPrefix},
		{"", []string{"token", "sue", "nightly"}, 2, "already has a token"},
		{"", []string{"list"}, 0, "sue  supervisor  north  Sue Smith  set       nightly"},
	}
	var token string
	for _, s := range steps {
		code, out, errs := do(s.stdin, s.args...)
		if code != s.code || !strings.Contains(out+errs, s.want) {
			t.Fatalf("chathub user %s: exit %d, %q %q; want exit %d with %q", strings.Join(s.args, " "), code, out, errs, s.code, s.want)
		}
		if s.args[0] == "token" && code == 0 {
			token = strings.TrimSpace(out)
		}
	}
	raw, err := os.ReadFile(users)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "sue's long password") || strings.Contains(string(raw), token) || !strings.Contains(string(raw), "$argon2id$") {
		t.Fatalf("the users file holds a secret, or no hash:\n%s", raw)
	}
	if fi, _ := os.Stat(users); fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode %v, want 0600", fi.Mode().Perm())
	}
	// What the file says works in a directory, as a hub reads it.
	d, err := auth.New(auth.Options{File: users, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := d.Login("sue", "sue's long password", "127.0.0.1"); err != nil || c.Team != "north" {
		t.Fatalf("login with the password set: %+v %v", c, err)
	}
	if c, ok := d.Lookup(token); !ok || c.ID != "sue" {
		t.Fatalf("the printed token does not name sue: %+v %v", c, ok)
	}
	for _, s := range [][]string{{"revoke", "sue", "nightly"}, {"disable", "sue"}} {
		if code, _, errs := do("", s...); code != 0 {
			t.Fatalf("%v: %s", s, errs)
		}
	}
	d, _ = auth.New(auth.Options{File: users})
	if _, ok := d.Lookup(token); ok {
		t.Fatal("a revoked token still works")
	}
	if _, err := d.Login("sue", "sue's long password", "127.0.0.1"); err == nil {
		t.Fatal("a disabled user logged in")
	}
	var out bytes.Buffer
	if code := runUser(nil, strings.NewReader(""), &out, &out); code != 0 || !strings.Contains(out.String(), "Roles:") {
		t.Fatalf("chathub user alone: %d %s", code, out.String())
	}
}
