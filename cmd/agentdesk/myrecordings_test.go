package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/hubtest"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
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

// The panel's store on a real hub: the agent's kept and not kept (R-H6)
// recordings of a page come newest first together, the dropped one with
// why and no file.
func TestMyRecordingsPageOnRealHub_R_C7(t *testing.T) {
	h := hubtest.Shipped(t, t.TempDir(), nil)
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var rows []store.Recording
	for i, c := range []struct {
		customer string
		produced bool
	}{{"Ann", true}, {"Ben", false}, {"Cy", true}} {
		r := store.Recording{ID: fmt.Sprintf("chat-%d-record-1", i+1), Interaction: fmt.Sprintf("chat-%d", i+1), Queue: "general",
			Customer: c.customer, Agent: "ada", Kind: "record", State: "stopped", Delivery: "agent", Produced: c.produced,
			FinishedAt: at.Add(time.Duration(i) * time.Hour), Parts: []session.Part{{Start: at.Add(time.Duration(i)*time.Hour - time.Minute), End: at.Add(time.Duration(i) * time.Hour)}}}
		if !c.produced {
			r.Why = "the customer declined consent"
		}
		rows = append(rows, r)
	}
	if err := h.Store().Apply(t.Context(), &store.Batch{Recordings: rows}); err != nil {
		t.Fatal(err)
	}
	mr, err := newMyRecordings(srv.URL, "demo-token-ada", nil)
	if err != nil {
		t.Fatal(err)
	}
	page, err := mr.Page(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range page.Recordings {
		got = append(got, r.Customer+"|"+r.NotKept+"|"+r.Duration.String())
	}
	want := []string{"Cy||1m0s", "Ben|the customer declined consent|1m0s", "Ann||1m0s"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("page %v, want %v", got, want)
	}
}

// Over TLS the panel trusts the hub's certificate as the desktop does
// (--ca); without it, the words say what to do.
func TestMyRecordingsOverTLS(t *testing.T) {
	srv := startShippedHub(t, nil, true)
	cfg, err := hubclient.TLSConfig(hubtest.CAFile(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	mr, err := newMyRecordings(srv.URL, "demo-token-ada", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mr.Page(t.Context(), ""); err != nil {
		t.Fatalf("with the hub's CA: %v", err)
	}
	mr, _ = newMyRecordings(srv.URL, "demo-token-ada", nil)
	if _, err := mr.Page(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "--ca FILE") {
		t.Fatalf("without the hub's CA: %v", err)
	}
}

// TestTmuxMyRecordings runs the real binary, `agentdesk demo`, in a
// 100x30 tmux session as an agent would: a chat recorded with Record,
// Mark Done, then f3 (the chord, as the terminal sends it) opens My
// Recordings, enter, d, enter downloads the recording into
// --recordings-dir, and o opens the player with $BROWSER (a script that
// notes the address it was given).
func TestTmuxMyRecordings(t *testing.T) {
	dir := t.TempDir()
	bin := buildAgentdesk(t, dir)
	recDir := filepath.Join(dir, "Recordings")
	opened := filepath.Join(dir, "opened")
	browser := filepath.Join(dir, "note-browser")
	writeExe(t, browser, "#!/bin/sh\necho \"$1\" > "+opened+"\n")
	s := startTmux(t, 100, 30, fmt.Sprintf("env BROWSER=%s %s demo --customers 1 --speed 10 --not-ready --recordings-dir %s --log %s",
		browser, bin, recDir, filepath.Join(dir, "demo.log")))
	s.await("the desktop", "● Connected", "press y")
	s.keys(false, "y")
	s.await("Bob's offer", "Bob Smith · Alerting")
	s.keys(false, "a")
	s.await("the chat", "Bob Smith · Connected")
	s.keys(false, "r")
	s.await("recording", "● REC")
	time.Sleep(500 * time.Millisecond) // a recording of some length
	s.keys(false, "e")
	s.await("wrap-up", "Bob Smith · Wrap-up")
	s.keys(false, "d")
	s.await("stored", "the hub stored the recording")
	s.keys(false, "F3")
	// "stored" followed by the column's padding: "not stored yet" would
	// match "stored" alone while the upload is still under way (the list
	// reloads when it is done; Enter before that chose a row without file).
	s.await("My Recordings", "My Recordings (1)", "Bob Smith", "stored     ")
	s.keys(false, "Enter")
	s.await("the choice", "d download the file to a folder")
	s.keys(false, "d")
	s.await("the folder", "Save into: "+recDir)
	s.keys(false, "Enter")
	s.await("saved", "✓ Saved", "Checked: all")
	entries, err := os.ReadDir(recDir)
	if err != nil || len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".webm") {
		t.Fatalf("the folder: %v, %v", entries, err)
	}
	if b, _ := os.ReadFile(filepath.Join(recDir, entries[0].Name())); !bytes.HasPrefix(b, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Errorf("the saved file is no WebM (%d bytes)", len(b))
	}
	s.keys(false, "Enter")
	s.keys(false, "o")
	s.await("the player opened", "Opened the player in the browser:")
	b, _ := os.ReadFile(opened)
	if !strings.Contains(string(b), "/app/recordings/chat-1-") {
		t.Errorf("the browser was given %q", b)
	}
	s.keys(false, "Escape")
	s.await("the list again", "My Interactions")
}
