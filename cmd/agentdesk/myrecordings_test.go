package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/ui"
	"github.com/agentdesk/agentdesk/uploader"
)

// Issue 12 point 6 (R-C7), the keystroke script: Ada records two chats,
// opens My Recordings, moves to the older and downloads it into the
// folder the panel offers. The saved file is the recording the desktop
// sealed and the hub stored, decrypted (with the demo's identity, here in
// the test), byte for byte, under the stored name without .age; nothing
// else is in the folder.
func TestMyRecordingsScript_R_C7(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Recordings")                                                                           // Download makes it
	d, rec, wall := runRecordedInto(t, filepath.Join(suiteDir, "myrec", "my-recordings.script"), captureSynthetic, true, dir) // screen and voice
	t.Logf("script ran %v; recordings made %d", wall.Round(time.Millisecond), len(rec.Made()))
	page, err := d.Hub.Store().Recordings(t.Context(), store.RecordingFilter{Customer: "olga"})
	if err != nil || len(page.Recordings) != 1 || len(page.Recordings[0].Files) != 1 {
		t.Fatalf("olga's recording in the store: %+v, %v", page.Recordings, err)
	}
	stored := page.Recordings[0].Files[0]
	if page.Recordings[0].Kind != "record" || page.Recordings[0].Agent != "ada" || !strings.HasSuffix(stored.Name, ".webm.age") {
		t.Fatalf("olga's recording: %+v", page.Recordings[0])
	}
	plain, err := uploader.Decrypt(bytes.NewReader(fetchFile(t, d, stored.ID)), d.Identity)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(plain)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != strings.TrimSuffix(stored.Name, ".age") {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("the folder holds %v, want only %s", names, strings.TrimSuffix(stored.Name, ".age"))
	}
	got, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || len(got) < 1000 || !bytes.HasPrefix(got, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Fatalf("saved %d bytes, want the %d bytes of the decrypted WebM", len(got), len(want))
	}
	t.Logf("saved %s, %d bytes, equal to the stored recording decrypted", entries[0].Name(), len(got))
}

// The browser: $BROWSER's commands (with %s, or the address appended),
// xdg-open only with a display, and with none ErrNoBrowser (the panel
// then shows the address to copy); a browser command that fails is said.
func TestOpener(t *testing.T) {
	bin := t.TempDir()
	got := filepath.Join(t.TempDir(), "opened")
	writeExe(t, filepath.Join(bin, "fake-browser"), "#!/bin/sh\nprintf '%s\\n' \"$@\" > "+got+"\n")
	writeExe(t, filepath.Join(bin, "broken-browser"), "#!/bin/sh\nexit 3\n")
	t.Setenv("PATH", bin)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	const u = "http://127.0.0.1:8080/app/recordings/chat-1-record-1"

	if err := opener(env(map[string]string{"BROWSER": "fake-browser --new-tab"}))(u); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != "--new-tab\n"+u+"\n" {
		t.Errorf("the browser got %q", b)
	}
	if err := opener(env(map[string]string{"BROWSER": "missing-one:fake-browser %s --x"}))(u); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != u+"\n--x\n" {
		t.Errorf("the browser got %q", b)
	}
	err := opener(env(map[string]string{"BROWSER": "broken-browser"}))(u)
	if err == nil || errors.Is(err, ui.ErrNoBrowser) || !strings.Contains(err.Error(), "broken-browser") {
		t.Errorf("a failing browser: %v", err)
	}
	// no $BROWSER and no display: no xdg-open, which could take the terminal
	writeExe(t, filepath.Join(bin, "xdg-open"), "#!/bin/sh\nprintf '%s\\n' xdg \"$@\" > "+got+"\n")
	if err := opener(env(nil))(u); !errors.Is(err, ui.ErrNoBrowser) {
		t.Errorf("no browser, no display: %v", err)
	}
	if err := opener(env(map[string]string{"DISPLAY": ":0"}))(u); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != "xdg\n"+u+"\n" {
		t.Errorf("xdg-open got %q", b)
	}
}

func writeExe(t *testing.T, path, script string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil { // #nosec G306 -- a test's fake browser
		t.Fatal(err)
	}
}

func TestExpandHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for in, want := range map[string]string{
		"~/Recordings": filepath.Join(home, "Recordings"),
		"~":            home,
		"/srv/rec":     "/srv/rec",
	} {
		got, err := expandHome(in)
		if err != nil || got != want {
			t.Errorf("expandHome(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, _ := expandHome("rel"); !filepath.IsAbs(got) {
		t.Errorf("a relative folder stays relative: %q", got)
	}
}
