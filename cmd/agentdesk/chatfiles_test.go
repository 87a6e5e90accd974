package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/sim"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
)

// R-I6 on the desktop's side, against a real hub: the agent sends a file
// from a path, saves it twice into a folder (never over the first: the
// second is "name (1).ext") with the bytes checked against the SHA-256, and
// a file of a type the hub does not allow is refused in words.
func TestChatFilesAgainstHub_R_I6(t *testing.T) {
	srv := startShippedHub(t, nil, false)
	ctx := t.Context()
	bob, err := sim.Open(ctx, srv.URL, "Bob", sim.WithQueue("general"))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Drop()
	agent := hubclient.Dial(ctx, srv.URL, "demo-token-ada")
	defer agent.Close()
	await(t, agent, "welcome", frame(session.TypeWelcome))
	send := func(typ, chat string, data any) {
		t.Helper()
		e, err := session.NewEnvelope(typ, chat, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := agent.Send(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	send(session.TypeReady, "", session.ReadyData{Ready: true})
	await(t, agent, "offer", frame(session.TypeOffer))
	send(session.TypeAccept, bob.Chat(), nil)
	await(t, agent, "the chat", frame(session.TypeChat))

	src := filepath.Join(t.TempDir(), "note.txt")
	body := []byte("the parcel left on Monday\n")
	if err := os.WriteFile(src, body, 0o600); err != nil {
		t.Fatal(err)
	}
	cf := chatFiles{agent}
	var sent, total int64
	line, err := cf.SendFile(ctx, bob.Chat(), src, func(d, n int64) { sent, total = d, n })
	if err != nil {
		t.Fatal(err)
	}
	if sent != int64(len(body)) || total != int64(len(body)) {
		t.Errorf("progress said %d of %d at the end, want %d of %d", sent, total, len(body), len(body))
	}
	if line.File == nil || line.File.Name != "note.txt" || line.File.Status != "sent" || line.File.Size != int64(len(body)) {
		t.Fatalf("line %+v", line)
	}
	dir := filepath.Join(t.TempDir(), "saved")
	var got int64
	p1, err := cf.SaveFile(ctx, bob.Chat(), *line.File, dir, func(d, _ int64) { got = d })
	if err != nil {
		t.Fatal(err)
	}
	if got != int64(len(body)) {
		t.Errorf("progress of the save said %d bytes at the end, want %d", got, len(body))
	}
	p2, err := cf.SaveFile(ctx, bob.Chat(), *line.File, dir, noProgress)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p1) != "note.txt" || filepath.Base(p2) != "note (1).txt" {
		t.Errorf("saved as %s and %s, want note.txt and note (1).txt", p1, p2)
	}
	for _, p := range []string{p1, p2} {
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, body) {
			t.Errorf("%s: %q %v", p, b, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".agentdesk-file-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// a damaged file (the hub's hash differs) is not saved
	bad := *line.File
	bad.SHA256 = strings.Repeat("0", 64)
	if _, err := cf.SaveFile(ctx, bob.Chat(), bad, dir, noProgress); err == nil || !strings.Contains(err.Error(), "arrived damaged") {
		t.Errorf("a damaged file: %v", err)
	}
	if n, _ := os.ReadDir(dir); len(n) != 2 {
		t.Errorf("%d files in the folder, want 2", len(n))
	}
	exe := filepath.Join(t.TempDir(), "setup.exe")
	if err := os.WriteFile(exe, append([]byte("MZ\x90\x00"), make([]byte, 600)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.SendFile(ctx, bob.Chat(), exe, noProgress); err == nil || !strings.Contains(err.Error(), "the file was not sent") {
		t.Errorf("an exe: %v", err)
	}
	if _, err := cf.SendFile(ctx, bob.Chat(), filepath.Join(t.TempDir(), "missing.pdf"), noProgress); err == nil || !strings.Contains(err.Error(), "cannot send the file") {
		t.Errorf("a missing file: %v", err)
	}
}

func noProgress(int64, int64) {}

// Issue 14 point 4, R-I6: a download the network cuts halfway is not
// saved, says it broke, and progress told how far it got; nothing is
// left in the folder.
func TestSaveFileBroken_R_I6(t *testing.T) {
	const size = 64 << 10
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(make([]byte, size/4))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // the connection drops
	}))
	defer srv.Close()
	c := hubclient.Dial(t.Context(), srv.URL, "demo-token-ada")
	defer c.Close()
	var got int64
	dir := t.TempDir()
	_, err := chatFiles{c}.SaveFile(t.Context(), "chat-1", session.FileData{ID: strings.Repeat("a", 64), Name: "scan.pdf", Size: size, SHA256: strings.Repeat("a", 64)},
		dir, func(d, _ int64) { got = d })
	if err == nil || !strings.Contains(err.Error(), "scan.pdf was not saved") {
		t.Fatalf("a cut download: %v", err)
	}
	if got <= 0 || got >= size {
		t.Errorf("progress said %d bytes, want some of %d", got, size)
	}
	if n, _ := os.ReadDir(dir); len(n) != 0 {
		t.Errorf("left in the folder: %v", n)
	}
}
